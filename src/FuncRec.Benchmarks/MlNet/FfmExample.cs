using Microsoft.ML.Data;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// One (user, item) row as ML.NET's field-aware factorisation machine reads it: each property is one field, a
/// sparse vector whose length <see cref="FfmFeatures.SchemaDefinition"/> fixes from the data.
/// </summary>
internal sealed class FfmExample
{
    public bool Label { get; init; }

    /// <summary>Field 1: the user id, one-hot.</summary>
    public VBuffer<float> User { get; init; }

    /// <summary>Field 2: the item id, one-hot.</summary>
    public VBuffer<float> Item { get; init; }

    /// <summary>Field 3: the item's genres, multi-hot.</summary>
    public VBuffer<float> Genres { get; init; }

    /// <summary>Field 4: the user's age bucket, gender, occupation and zip prefix, one-hot each.</summary>
    public VBuffer<float> Demographics { get; init; }

    public static string[] FieldColumns { get; } = [nameof(User), nameof(Item), nameof(Genres), nameof(Demographics)];
}
