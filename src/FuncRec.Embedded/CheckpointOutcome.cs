namespace FuncRec.Embedded;

/// <summary>What a checkpoint did: the log's pages, those copied, and how long it held writers to restart the log (zero when it did not).</summary>
public readonly record struct CheckpointOutcome(long LogPages, long CopiedPages, TimeSpan WritersHeld);
