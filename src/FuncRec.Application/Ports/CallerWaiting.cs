namespace FuncRec.Application.Ports;

/// <summary>
/// Marks work that a client is waiting on in the request itself (a one-event post, applied before it is answered),
/// as opposed to ingestion and background work that may queue. Storage adapters that serialise their writes (the
/// embedded database's single writer) let such writes go first; others ignore it. It flows with the async context,
/// so the ports need no extra parameter.
/// </summary>
public static class CallerWaiting
{
    private static readonly AsyncLocal<bool> s_active = new();

    /// <summary>Whether the current work has a caller waiting on it.</summary>
    public static bool IsActive => s_active.Value;

    /// <summary>Marks the work from here until the result is disposed, if <paramref name="when"/>.</summary>
    public static Scope Begin(bool when = true)
    {
        if (!when)
        {
            return default;
        }

        var previous = s_active.Value;
        s_active.Value = true;
        return new Scope(previous, restores: true);
    }

    /// <summary>Restores the mark as it was before <see cref="Begin"/> (the default value does nothing).</summary>
    public readonly struct Scope(bool previous, bool restores) : IDisposable
    {
        public void Dispose()
        {
            if (restores)
            {
                s_active.Value = previous;
            }
        }
    }
}
