namespace FuncRec.Embedded;

/// <summary>
/// The data directory could not be claimed for writing (see <see cref="SqliteDatabase.ClaimDataDirectory"/>):
/// <see cref="HeldByAnotherProcess"/> tells a conflicting claim from any other reason the lock file could not be
/// opened (permissions, a full or read-only disk, a path that is not a file), which stopping another process would not fix.
/// </summary>
public sealed class DataDirectoryClaimException : InvalidOperationException
{
    public DataDirectoryClaimException(string dataDirectory, string lockFile, bool heldByAnotherProcess, Exception innerException)
        : base(Describe(dataDirectory, lockFile, heldByAnotherProcess, innerException), innerException)
    {
        DataDirectory = dataDirectory;
        LockFile = lockFile;
        HeldByAnotherProcess = heldByAnotherProcess;
    }

    public string DataDirectory { get; }

    public string LockFile { get; }

    /// <summary>Whether another process holds a claim that conflicts with this one.</summary>
    public bool HeldByAnotherProcess { get; }

    private static string Describe(string dataDirectory, string lockFile, bool heldByAnotherProcess, Exception inner) => heldByAnotherProcess
        ? $"The data directory {dataDirectory} is in use by another process ({lockFile}: {inner.Message}). Only one process may "
          + "use it (stop the other), unless every process that shares it sets FuncRec:Embedded:ExclusiveDataDirectory to false."
        : $"Could not claim the data directory {dataDirectory} ({lockFile}: {inner.Message}).";
}
