namespace FuncRec.Application.Ports;

/// <summary>
/// A wake-up for waiters in this process (queue adapters use it to tell producers that a message left the queue).
/// Permits are capped so that a burst of signals with nobody waiting is not banked for ever: a stale permit only
/// costs a waiter one extra check of whatever it waits for.
/// </summary>
public sealed class BoundedSignal(int maxPermits = 64)
{
    private readonly SemaphoreSlim _permits = new(0, maxPermits);

    public void Pulse()
    {
        if (_permits.CurrentCount >= maxPermits)
        {
            return;
        }

        try
        {
            _permits.Release();
        }
        catch (SemaphoreFullException)
        {
            // Another pulse took the last permit between the check and the release: the wake-up is there.
        }
    }

    /// <summary>Returns at the next pulse (or a banked one), or after <paramref name="maxWait"/>.</summary>
    public async Task WaitAsync(TimeSpan maxWait, CancellationToken cancellationToken) => await _permits.WaitAsync(maxWait, cancellationToken);
}
