namespace FuncRec.Embedded;

/// <summary>Where the embedded stores keep their data (bound from <c>FuncRec:Embedded</c>).</summary>
public sealed class EmbeddedOptions
{
    public const string Section = "FuncRec:Embedded";

    /// <summary>The data directory: <c>funcrec.db</c> (SQLite) and <c>models/</c> live under it.</summary>
    public string DataDirectory { get; set; } = "funcrec-data";

    /// <summary>Largest serialised batch per queue message (there is no service limit locally; this keeps messages comparable).</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;
}
