using System.Security.Cryptography;
using System.Text;
using FuncRec.Core.Features;
using FuncRec.Core.Model;

namespace FuncRec.Core.Persistence;

/// <summary>
/// The versioned binary format of a model: header, feature schema, dictionaries, both tables with their AdaGrad
/// accumulators, and a SHA-256 of everything before it. Round-trips exactly (bit for bit). A file of another
/// format version, a truncated file or a damaged one is refused with an <see cref="InvalidDataException"/>
/// that says which.
/// </summary>
public static class ModelSerializer
{
    private static readonly byte[] Magic = "FRMD"u8.ToArray();

    public static void Save(RecommenderModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(RecommenderModel.FormatVersion);
            writer.Write(model.Rank);
            writer.Write((int)model.Loss);
            writer.Write(model.Seed);
            writer.Write(model.UserTable.InitScale);
            writer.Write(model.UserTable.InitialAccumulator);
            writer.Write(model.GlobalMean);
            WriteOptional(writer, model.MinValue);
            WriteOptional(writer, model.MaxValue);
            writer.Write(model.IsFitted);
            writer.Write(model.TrainedEvents);
            WriteSchema(writer, model.Schema);
            foreach (var side in new[] { FeatureSide.User, FeatureSide.Item })
            {
                var entries = model.Space.DictionaryEntries(side);
                writer.Write(entries.Count);
                foreach (var (group, value) in entries)
                {
                    writer.Write(group);
                    writer.Write(value);
                }
            }

            WriteTable(writer, model.UserTable);
            WriteTable(writer, model.ItemTable);
        }

        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        output.Write(body);
        output.Write(SHA256.HashData(body));
    }

    public static byte[] ToBytes(RecommenderModel model)
    {
        using var stream = new MemoryStream();
        Save(model, stream);
        return stream.ToArray();
    }

    public static RecommenderModel FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 4 + 32)
        {
            throw new InvalidDataException("The model file is truncated: it is shorter than a header and a checksum.");
        }

        if (!bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new InvalidDataException("This is not a FuncRec model file (wrong magic bytes).");
        }

        var version = BitConverter.ToInt32(bytes.Slice(Magic.Length, 4));
        if (version != RecommenderModel.FormatVersion)
        {
            throw new InvalidDataException($"The model file has format version {version}; this build reads version {RecommenderModel.FormatVersion}.");
        }

        var body = bytes[..^32];
        var checksum = bytes[^32..];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(checksum))
        {
            throw new InvalidDataException("The model file is truncated or damaged: its checksum does not match.");
        }

        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            reader.ReadBytes(Magic.Length);
            reader.ReadInt32();
            var rank = reader.ReadInt32();
            var loss = (LossKind)reader.ReadInt32();
            var seed = reader.ReadUInt64();
            var initScale = reader.ReadSingle();
            var initialAccumulator = reader.ReadSingle();
            var globalMean = reader.ReadSingle();
            var min = ReadOptional(reader);
            var max = ReadOptional(reader);
            var fitted = reader.ReadBoolean();
            var trained = reader.ReadInt64();
            var schema = ReadSchema(reader);
            var model = new RecommenderModel(schema, rank, loss, seed, initScale, initialAccumulator)
            {
                GlobalMean = globalMean,
                MinValue = min,
                MaxValue = max,
                IsFitted = fitted,
                TrainedEvents = trained,
            };
            foreach (var side in new[] { FeatureSide.User, FeatureSide.Item })
            {
                var count = reader.ReadInt32();
                for (var i = 0; i < count; i++)
                {
                    var group = reader.ReadInt32();
                    model.Space.RestoreEntry(side, group, reader.ReadString());
                }
            }

            ReadTable(reader, model.UserTable, model.Space.RowCount(FeatureSide.User));
            ReadTable(reader, model.ItemTable, model.Space.RowCount(FeatureSide.Item));
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException("The model file has unexpected bytes after the item table.");
            }

            return model;
        }
        catch (EndOfStreamException exception)
        {
            throw new InvalidDataException("The model file is truncated.", exception);
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException($"The model file holds an invalid value: {exception.Message}", exception);
        }
    }

    public static RecommenderModel Load(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        return FromBytes(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    private static void WriteOptional(BinaryWriter writer, float? value)
    {
        writer.Write(value.HasValue);
        writer.Write(value ?? 0f);
    }

    private static float? ReadOptional(BinaryReader reader)
    {
        var has = reader.ReadBoolean();
        var value = reader.ReadSingle();
        return has ? value : null;
    }

    private static void WriteSchema(BinaryWriter writer, FeatureSchema schema)
    {
        writer.Write(schema.Groups.Count);
        foreach (var g in schema.Groups)
        {
            writer.Write(g.Name);
            writer.Write((int)g.Side);
            writer.Write((int)g.Kind);
            writer.Write(g.Field is not null);
            writer.Write(g.Field ?? string.Empty);
            writer.Write(g.HashBuckets);
            var boundaries = g.Boundaries ?? [];
            writer.Write(g.Boundaries is not null);
            writer.Write(boundaries.Count);
            foreach (var b in boundaries)
            {
                writer.Write(b);
            }

            writer.Write(g.Weight);
            writer.Write((int)g.Normalization);
            writer.Write(g.MaxValues);
            writer.Write(g.MaxVocabulary);
            writer.Write(g.ValueScale);
            writer.Write(g.ValueCenter);
        }

        writer.Write(schema.Hash);
    }

    private static FeatureSchema ReadSchema(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count is < 0 or > 10_000)
        {
            throw new InvalidDataException($"The model file declares {count} feature groups.");
        }

        var groups = new List<FeatureGroup>(count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var side = (FeatureSide)reader.ReadInt32();
            var kind = (FeatureGroupKind)reader.ReadInt32();
            var hasField = reader.ReadBoolean();
            var field = reader.ReadString();
            var buckets = reader.ReadInt32();
            var hasBoundaries = reader.ReadBoolean();
            var boundaryCount = reader.ReadInt32();
            if (boundaryCount is < 0 or > 100_000)
            {
                throw new InvalidDataException($"Feature group '{name}' declares {boundaryCount} boundaries.");
            }

            var boundaries = new double[boundaryCount];
            for (var b = 0; b < boundaryCount; b++)
            {
                boundaries[b] = reader.ReadDouble();
            }

            groups.Add(new FeatureGroup
            {
                Name = name,
                Side = side,
                Kind = kind,
                Field = hasField ? field : null,
                HashBuckets = buckets,
                Boundaries = hasBoundaries ? boundaries : null,
                Weight = reader.ReadSingle(),
                Normalization = (FeatureNormalization)reader.ReadInt32(),
                MaxValues = reader.ReadInt32(),
                MaxVocabulary = reader.ReadInt32(),
                ValueScale = reader.ReadSingle(),
                ValueCenter = reader.ReadSingle(),
            });
        }

        var schema = new FeatureSchema(groups);
        var hash = reader.ReadString();
        if (!string.Equals(hash, schema.Hash, StringComparison.Ordinal))
        {
            throw new InvalidDataException("The model file's schema does not match its recorded schema hash.");
        }

        return schema;
    }

    private static void WriteTable(BinaryWriter writer, EmbeddingTable table)
    {
        writer.Write(table.Rows);
        writer.Write(table.Rank);
        writer.Write(table.Seed);
        writer.Write(table.InitScale);
        writer.Write(table.InitialAccumulator);
        WriteFloats(writer, table.Vectors.AsSpan(0, table.Rows * table.Rank));
        WriteFloats(writer, table.Biases.AsSpan(0, table.Rows));
        WriteFloats(writer, table.VectorAccumulators.AsSpan(0, table.Rows));
        WriteFloats(writer, table.BiasAccumulators.AsSpan(0, table.Rows));
    }

    private static void ReadTable(BinaryReader reader, EmbeddingTable table, int expectedRows)
    {
        var rows = reader.ReadInt32();
        var rank = reader.ReadInt32();
        var seed = reader.ReadUInt64();
        var initScale = reader.ReadSingle();
        var initialAccumulator = reader.ReadSingle();
        if (rank != table.Rank || seed != table.Seed)
        {
            throw new InvalidDataException("A table's rank or seed does not match the model header.");
        }

        if (rows != expectedRows)
        {
            throw new InvalidDataException($"A table has {rows} rows but the feature space has {expectedRows}.");
        }

        if (initScale != table.InitScale || initialAccumulator != table.InitialAccumulator)
        {
            throw new InvalidDataException("A table's initialisation does not match the model header.");
        }

        table.Load(rows, ReadFloats(reader, rows * rank), ReadFloats(reader, rows), ReadFloats(reader, rows), ReadFloats(reader, rows));
    }

    private static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    private static float[] ReadFloats(BinaryReader reader, int expected)
    {
        var length = reader.ReadInt32();
        if (length != expected)
        {
            throw new InvalidDataException($"Expected {expected} values, found {length}.");
        }

        var bytes = reader.ReadBytes(checked(length * sizeof(float)));
        if (bytes.Length != length * sizeof(float))
        {
            throw new EndOfStreamException();
        }

        var values = new float[length];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
