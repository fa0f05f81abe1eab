namespace FuncRec.Embedded;

/// <summary>
/// One writer at a time, handed over in order of arrival, except that writes a caller waits on in the request
/// (<see cref="FuncRec.Application.Ports.CallerWaiting"/>) go before the others: a one-event post's message and log
/// entry used to queue behind the consumers' reads and the deferred writes' flushes, which under ingest load made
/// most of the slowest posts. So that a flood of such writes cannot starve the rest, at most
/// <see cref="UrgentInARow"/> of them pass others in a row. A writer that gave the turn up part-way to let an urgent
/// one in (a flush) comes back ahead of the other waiting writers. The wait is asynchronous and not cancellable: a
/// write that was begun is finished.
/// </summary>
internal sealed class WriteGate
{
    /// <summary>Urgent writers handed the turn in a row while others wait, before one of those goes.</summary>
    public const int UrgentInARow = 8;

    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource> _urgent = new();
    private readonly Queue<TaskCompletionSource> _others = new();
    private readonly Queue<TaskCompletionSource> _resuming = new();
    private bool _held;
    private int _urgentInARow;

    // _urgent.Count, kept apart so that a flush can read it after every write without taking the lock.
    private int _urgentWaiting;

    /// <summary>Whether an urgent writer waits: a long write (a flush) commits what it has and lets it in.</summary>
    public bool UrgentWaiting => Volatile.Read(ref _urgentWaiting) > 0;

    /// <summary>Writers waiting for the turn, of every kind.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _urgent.Count + _resuming.Count + _others.Count;
            }
        }
    }

    /// <param name="urgent">A caller waits on this write in the request.</param>
    /// <param name="resuming">The writer gave the turn up part-way for an urgent one and goes on: it passes the others waiting.</param>
    public Task EnterAsync(bool urgent, bool resuming = false)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return Task.CompletedTask;
            }

            // Continuations run on the pool, never inside the releasing writer's Exit.
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (urgent)
            {
                _urgent.Enqueue(waiter);
                _urgentWaiting++;
            }
            else
            {
                (resuming ? _resuming : _others).Enqueue(waiter);
            }
        }

        return waiter.Task;
    }

    public void Exit()
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            var othersWaiting = _resuming.Count + _others.Count;
            if (_urgent.Count > 0 && (othersWaiting == 0 || _urgentInARow < UrgentInARow))
            {
                next = _urgent.Dequeue();
                _urgentWaiting--;
                _urgentInARow = othersWaiting == 0 ? 0 : _urgentInARow + 1;
            }
            else if (_resuming.TryDequeue(out next) || _others.TryDequeue(out next))
            {
                _urgentInARow = 0;
            }
            else
            {
                _held = false;
                return;
            }
        }

        next.SetResult();
    }
}
