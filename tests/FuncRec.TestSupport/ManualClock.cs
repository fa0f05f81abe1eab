namespace FuncRec.TestSupport;

/// <summary>
/// A clock that moves only when told: makes time-based behaviour (settle times, log keys) deterministic in tests.
/// With <see cref="AutoAdvance"/> every reading also moves it on by that step, so successive events get distinct,
/// increasing times as they would on a real clock.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;

    public TimeSpan AutoAdvance { get; init; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            var now = _now;
            _now += AutoAdvance;
            return now;
        }
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate)
        {
            _now += by;
        }
    }

    public void Set(DateTimeOffset time)
    {
        lock (_gate)
        {
            if (time < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(time), "A clock does not go back.");
            }

            _now = time;
        }
    }
}
