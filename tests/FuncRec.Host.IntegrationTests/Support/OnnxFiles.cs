using System.Text;
using FuncRec.Core.Onnx;

namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>Exported ONNX files altered the way an older build would have written them.</summary>
public static class OnnxFiles
{
    /// <summary>
    /// The file with its scoring-graph format stamped as <paramref name="version"/> (one digit, as the current one):
    /// the metadata entry's value is a one-byte protobuf string, so the bytes keep their length.
    /// </summary>
    public static byte[] WithFormatVersion(byte[] onnx, int version)
    {
        var key = Encoding.UTF8.GetBytes(OnnxScoringGraph.MetadataKeys.FormatVersion);
        byte[] value = [0x12, 0x01, (byte)('0' + OnnxScoringGraph.FormatVersion)];
        var at = onnx.AsSpan().IndexOf([.. key, .. value]);
        if (at < 0 || version is < 0 or > 9)
        {
            throw new InvalidOperationException("The file's format entry is not where a one-digit version would be.");
        }

        var altered = onnx.ToArray();
        altered[at + key.Length + 2] = (byte)('0' + version);
        return altered;
    }
}
