using System.Runtime.InteropServices;
using FuncRec.Core.Onnx.Proto;
using Google.Protobuf;

namespace FuncRec.Core.Onnx;

/// <summary>
/// Writes an ONNX <see cref="GraphProto"/> a line per node, so the exporter reads like the computation it
/// describes. Names are the graph's value names; dimensions are numbers or symbolic names (null = unknown).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>Protobuf refuses messages of 2 GiB or more; keep a margin for the rest of the model.</summary>
    private const long MaxTensorBytes = 1L << 30;

    private readonly GraphProto _graph;

    public OnnxGraphBuilder(string name)
    {
        _graph = new GraphProto { Name = name };
    }

    public GraphProto Graph => _graph;

    public void Input(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Input.Add(ValueInfo(name, type, dims));

    public void Output(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>A float constant of the given shape, stored as little-endian raw bytes.</summary>
    public void Initializer(string name, ReadOnlySpan<float> values, params long[] dims)
        => _graph.Initializer.Add(Tensor(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims));

    /// <summary>An int64 constant of the given shape (empty dims = scalar).</summary>
    public void Initializer(string name, ReadOnlySpan<long> values, params long[] dims)
        => _graph.Initializer.Add(Tensor(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims));

    /// <summary>Adds a node of the default ONNX domain; its name is its first output, so errors point at it.</summary>
    public void Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
    }

    /// <summary>Single-output shorthand.</summary>
    public void Node(string opType, string output, params string[] inputs) => Node(opType, inputs, [output]);

    public static AttributeProto Attribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A subgraph attribute (the branches of If); the subgraph reads outer values by name.</summary>
    public static AttributeProto Attribute(string name, GraphProto value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = value };

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        if (!BitConverter.IsLittleEndian)
        {
            // raw_data is little-endian by definition; the spans above are in machine order.
            throw new PlatformNotSupportedException("ONNX export needs a little-endian machine.");
        }

        if (bytes.Length > MaxTensorBytes)
        {
            throw new InvalidOperationException($"Tensor '{name}' needs {bytes.Length:N0} bytes, more than the {MaxTensorBytes:N0} a single ONNX file can hold here; lower the rank or the hash buckets.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => throw new ArgumentException($"Dimension of '{name}' must be a number or a symbolic name.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
