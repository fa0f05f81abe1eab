namespace FuncRec.Azure;

/// <summary>
/// The event queue's name, from the flat setting <c>FuncRecEventQueue</c> that the queue trigger's
/// <c>%FuncRecEventQueue%</c> binding reads too, so producer and trigger always name the same queue.
/// </summary>
public sealed class EventQueueOptions
{
    public const string QueueNameSetting = "FuncRecEventQueue";

    /// <summary>The poison queue is this name with <see cref="PoisonSuffix"/> (the Functions host's convention).</summary>
    public const string PoisonSuffix = "-poison";

    public string QueueName { get; set; } = "funcrec-events";

    public string PoisonQueueName => QueueName + PoisonSuffix;
}
