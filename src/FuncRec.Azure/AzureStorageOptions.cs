namespace FuncRec.Azure;

/// <summary>Blob containers and local-run switches of the storage adapters (bound from <c>FuncRec:Storage</c>).</summary>
public sealed class AzureStorageOptions
{
    public const string Section = "FuncRec:Storage";

    /// <summary>Container of <c>models/{version}/…</c>, <c>models/current.json</c> and <c>control/fine-tune.json</c>.</summary>
    public string ModelContainer { get; set; } = "funcrec-models";

    /// <summary>Container of the event log: one blob per applied batch under <c>log/</c>, idempotency markers under <c>batches/</c>.</summary>
    public string EventLogContainer { get; set; } = "funcrec-eventlog";

    /// <summary>
    /// Create the containers and queues at first use. For local runs and tests only: in Azure the infrastructure
    /// creates them and the app's identity has data-plane rights only.
    /// </summary>
    public bool CreateIfMissing { get; set; }

    /// <summary>
    /// How old a log blob's key must be before fine-tune windows may end at it. A batch's log key is chosen at its
    /// first apply attempt (and kept in its marker blob); when that attempt dies after choosing the key but before
    /// writing the log blob, a redelivery writes the blob later, at that old key. A window that had already ended past
    /// the key would skip the batch forever. So this must exceed the longest time a message can take to come back:
    /// max dequeue count × visibility timeout of a polling consumer (5 × 30 s locally, 5 × 10 s in host.json), and the
    /// Functions queue listener's own 10-minute receive lease (an instance that dies mid-batch hides its message that
    /// long), plus clock skew between instances. Hence 15 minutes; windows simply lag the newest events by this much.
    /// </summary>
    public TimeSpan EventLogSettleTime { get; set; } = TimeSpan.FromMinutes(15);
}
