namespace FuncRec.Embedded;

/// <summary>Where the embedded stores keep their data (bound from <c>FuncRec:Embedded</c>).</summary>
public sealed class EmbeddedOptions
{
    public const string Section = "FuncRec:Embedded";

    /// <summary>The data directory: <c>funcrec.db</c> (SQLite) and <c>models/</c> live under it.</summary>
    public string DataDirectory { get; set; } = "funcrec-data";

    /// <summary>Largest serialised batch per queue message (there is no service limit locally; this keeps messages comparable).</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// One process serves the data directory (the local host's normal case): reads of user documents this process
    /// wrote are answered from memory. Set false when several processes share it, so every read checks the
    /// stored version first (writes are exact either way: they compare-and-swap).
    /// </summary>
    public bool ExclusiveDataDirectory { get; set; } = true;

    /// <summary>
    /// How often the background checkpointer copies the database's write-ahead log into its file, beside the writers.
    /// Once the log holds 8,192 pages, a tick also lets it start again, holding writers only for the pages committed
    /// while it copied and one file sync.
    /// </summary>
    public int CheckpointIntervalMilliseconds { get; set; } = 200;

    /// <summary>
    /// How long the user documents a queue consumer writes may wait before they are stored, together with the
    /// completions of the messages they came from (<see cref="SqliteWriteBehind"/>); 0 stores each batch's documents
    /// at once. Only with <see cref="ExclusiveDataDirectory"/>. A user with several events in the interval is
    /// written once; a process killed within it has those messages delivered again, and applies nothing twice.
    /// </summary>
    public int WriteBehindMilliseconds { get; set; } = 2000;
}
