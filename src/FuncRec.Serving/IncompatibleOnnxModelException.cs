namespace FuncRec.Serving;

/// <summary>
/// Thrown when ONNX bytes cannot serve a model: not a FuncRec scoring graph, another graph format version, or
/// a rank or feature schema other than the model's (its encoded rows would mean something else).
/// </summary>
public sealed class IncompatibleOnnxModelException : InvalidOperationException
{
    public IncompatibleOnnxModelException(string message)
        : base(message)
    {
    }

    public IncompatibleOnnxModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The bytes are a FuncRec scoring graph of an older format than this build reads: exporting the model again serves it.</summary>
    public bool OlderFormat { get; init; }
}
