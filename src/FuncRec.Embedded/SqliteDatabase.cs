using Microsoft.Data.Sqlite;

namespace FuncRec.Embedded;

/// <summary>
/// The one SQLite file behind the embedded stores. WAL journaling with synchronous=NORMAL: a committed
/// transaction survives the process being killed (it is in the WAL, which the OS holds), which is the durability
/// the local host promises; writers wait on each other up to the busy timeout instead of failing.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    public SqliteDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        DataDirectory = Path.GetFullPath(dataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(DataDirectory, "funcrec.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, doc TEXT NOT NULL, updated INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS items_updated ON items (updated);
            CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, visible_at INTEGER NOT NULL, dequeue_count INTEGER NOT NULL, inserted_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS queue_visible ON queue (visible_at);
            CREATE TABLE IF NOT EXISTS poison (id INTEGER PRIMARY KEY, body TEXT NOT NULL, reason TEXT NOT NULL, dequeue_count INTEGER NOT NULL, failed_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS eventlog (seq INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, events INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pointers (name TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL);
            """);
    }

    public string DataDirectory { get; }

    /// <summary>An open connection from the pool, set up for this database.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;");
        return connection;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
