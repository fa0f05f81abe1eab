using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FuncRec.Azure;

/// <summary>
/// The event log's blob layout. A batch's log blob is <c>log/{yyyy}/{MM}/{dd}/{HH}/{utcTicks:D19}-{batchId}.json</c>:
/// every part is fixed-width, so the ordinal order of names is the order of apply time, the name is the batch's
/// position, and the hour folders let readers list only the hours a window spans. The marker
/// <c>batches/{batchId}</c> holds the log blob name chosen when the batch was first applied.
/// </summary>
internal static partial class EventLogBlobNames
{
    public const string LogRoot = "log/";
    public const string MarkerRoot = "batches/";

    /// <summary>Length of an hour prefix, <c>log/yyyy/MM/dd/HH/</c>.</summary>
    public const int HourPrefixLength = 18;

    public static string LogBlob(DateTimeOffset appliedAt, string batchId)
        => $"{HourPrefix(appliedAt)}{appliedAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture)}-{SafeBatchId(batchId)}.json";

    public static string Marker(string batchId) => MarkerRoot + SafeBatchId(batchId);

    public static string HourPrefix(DateTimeOffset time)
        => time.UtcDateTime.ToString("'log/'yyyy'/'MM'/'dd'/'HH'/'", CultureInfo.InvariantCulture);

    /// <summary>The first name a blob applied at or after <paramref name="time"/> can have (for comparisons by ticks).</summary>
    public static string TickBound(DateTimeOffset time)
        => HourPrefix(time) + time.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    public static bool IsPosition(string name) => PositionPattern().IsMatch(name);

    /// <summary>The hour prefix of a position, after checking it is one of this log's positions.</summary>
    public static string HourOf(string position, string parameterName)
        => IsPosition(position) ? position[..HourPrefixLength]
            : throw new ArgumentException($"'{position}' is not a position of this event log.", parameterName);

    /// <summary>
    /// Batch ids become part of blob names; ids made of letters, digits, '-' and '_' (the ingestion service's GUIDs)
    /// are used as they are, anything else as '~' + base64url of its UTF-8 bytes, which cannot collide with the former.
    /// </summary>
    private static string SafeBatchId(string batchId)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        if (batchId.Length <= 128 && SafeIdPattern().IsMatch(batchId))
        {
            return batchId;
        }

        var bytes = Encoding.UTF8.GetBytes(batchId);
        return bytes.Length <= 512
            ? "~" + Base64Url.EncodeToString(bytes)
            : throw new ArgumentException("A batch id may be at most 512 UTF-8 bytes.", nameof(batchId));
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex SafeIdPattern();

    [GeneratedRegex(@"^log/\d{4}/\d{2}/\d{2}/\d{2}/\d{19}-[^/]+\.json$")]
    private static partial Regex PositionPattern();
}
