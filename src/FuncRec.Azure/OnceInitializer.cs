namespace FuncRec.Azure;

/// <summary>
/// Runs an asynchronous set-up step (creating containers or queues) once, on first use. A failed or cancelled
/// attempt is not remembered, so the next caller tries again instead of inheriting a stale failure.
/// </summary>
internal sealed class OnceInitializer(Func<CancellationToken, Task> initialize)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _done;

    public static OnceInitializer Nothing { get; } = new(_ => Task.CompletedTask) { _done = true };

    public async ValueTask EnsureAsync(CancellationToken cancellationToken)
    {
        if (_done)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_done)
            {
                await initialize(cancellationToken);
                _done = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
