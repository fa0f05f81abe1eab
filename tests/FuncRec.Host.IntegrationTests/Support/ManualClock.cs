namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>A clock that moves only when told, so retry back-offs can be stepped over instead of waited for.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
