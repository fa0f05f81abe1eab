using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Onnx;
using Microsoft.ML.OnnxRuntime;
using G = FuncRec.Core.Onnx.OnnxScoringGraph;

namespace FuncRec.Serving.UnitTests;

public sealed class OnnxModelExporterTests
{
    [Fact]
    public void Metadata_props_carry_version_schema_hash_rank_format_loss_and_rating_range()
    {
        var world = RandomWorld.Create(31, 16);

        using var session = new InferenceSession(world.Export("2026-11-27.3"));
        var metadata = session.ModelMetadata.CustomMetadataMap;

        Assert.Equal("2026-11-27.3", metadata[G.MetadataKeys.Version]);
        Assert.Equal(world.Model.Schema.Hash, metadata[G.MetadataKeys.SchemaHash]);
        Assert.Equal("16", metadata[G.MetadataKeys.Rank]);
        Assert.Equal($"{G.FormatVersion}", metadata[G.MetadataKeys.FormatVersion]);
        Assert.Equal("Squared", metadata[G.MetadataKeys.Loss]);
        Assert.Equal($"{world.Model.UserTable.Rows}", metadata[G.MetadataKeys.UserRows]);
        Assert.Equal("1500", metadata[G.MetadataKeys.TrainedEvents]);
        Assert.Equal("1", metadata[G.MetadataKeys.MinValue]);
        Assert.Equal("5", metadata[G.MetadataKeys.MaxValue]);
    }

    [Fact]
    public void A_ranking_model_has_no_rating_range()
    {
        var world = RandomWorld.Create(32, 8, LossKind.Bpr, interactions: 300);

        using var session = new InferenceSession(world.Export());
        var metadata = session.ModelMetadata.CustomMetadataMap;

        Assert.Equal("Bpr", metadata[G.MetadataKeys.Loss]);
        Assert.False(metadata.ContainsKey(G.MetadataKeys.MinValue));
        Assert.False(metadata.ContainsKey(G.MetadataKeys.MaxValue));
    }

    [Fact]
    public void The_graph_declares_the_contract_inputs_and_outputs()
    {
        var world = RandomWorld.Create(33, 12, interactions: 300);

        using var session = new InferenceSession(world.Export());

        AssertTensor(session.InputMetadata[G.UserRows], typeof(long), -1, -1);
        AssertTensor(session.InputMetadata[G.UserWeights], typeof(float), -1, -1);
        AssertTensor(session.InputMetadata[G.OnlineVector], typeof(float), -1, 12);
        AssertTensor(session.InputMetadata[G.OnlineBias], typeof(float), -1, 1);
        AssertTensor(session.InputMetadata[G.ItemVectors], typeof(float), -1, 12);
        AssertTensor(session.InputMetadata[G.ItemBiases], typeof(float), -1);
        AssertTensor(session.InputMetadata[G.Candidates], typeof(long), -1, -1);
        AssertTensor(session.InputMetadata[G.Exclude], typeof(float), -1, -1);
        AssertTensor(session.InputMetadata[G.TopK], typeof(long), 1);
        Assert.Equal(9, session.InputMetadata.Count);
        AssertTensor(session.OutputMetadata[G.CandidateScores], typeof(float), -1, -1);
        AssertTensor(session.OutputMetadata[G.TopScores], typeof(float), -1, -1);
        AssertTensor(session.OutputMetadata[G.TopIndices], typeof(long), -1, -1);
        Assert.Equal(3, session.OutputMetadata.Count);
    }

    [Fact]
    public void The_raw_graph_caps_k_at_the_items_not_excluded()
    {
        var world = RandomWorld.Create(34, 8, items: 10, interactions: 300);
        var catalog = world.BuildCatalog().Current;
        using var session = new InferenceSession(world.Export());
        float[] exclude = [0, 1, 0, 0, 1, 0, 0, 1, 0, 0];

        using var outputs = Run(session, catalog, [exclude], topK: 100, candidates: [3, 9, 3]);

        var candidateScores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var topIndices = outputs[2].GetTensorDataAsSpan<long>().ToArray();
        var reference = world.ReferenceScores(new FeatureVector(), [], 0f, world.Items.Profiles);
        Assert.Equal([1, 7], outputs[2].GetTensorTypeAndShape().Shape);
        Assert.DoesNotContain(topIndices, index => exclude[index] == 1f);
        Assert.Equal([reference[3], reference[9], reference[3]], candidateScores, (a, b) => Math.Abs(a - b) <= 1e-4f);
    }

    [Fact]
    public void In_a_batch_every_user_gets_k_capped_at_the_most_items_any_user_has_left_with_their_excluded_items_last()
    {
        var world = RandomWorld.Create(37, 8, items: 10, interactions: 300);
        var catalog = world.BuildCatalog().Current;
        using var session = new InferenceSession(world.Export());
        float[] fewExcluded = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        float[] mostExcluded = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1];

        using var outputs = Run(session, catalog, [fewExcluded, mostExcluded], topK: 100, candidates: [3, 9, 3]);

        var topScores = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var topIndices = outputs[2].GetTensorDataAsSpan<long>().ToArray();
        Assert.Equal([2, 9], outputs[2].GetTensorTypeAndShape().Shape);
        Assert.Equal([2, 3], outputs[0].GetTensorTypeAndShape().Shape);
        Assert.DoesNotContain(topIndices[..9], index => fewExcluded[index] == 1f);

        // The second user has two items left: those come first, then their excluded ones far below any real score.
        Assert.Equal([3L, 8L], topIndices[9..11].Order());
        Assert.All(topScores[11..], score => Assert.True(score < float.MinValue / 2));
        Assert.Equal(topScores[..9].OrderDescending(), topScores[..9]);
    }

    [Fact]
    public void A_model_without_user_features_scores_from_the_online_state()
    {
        var itemsOnly = new FeatureSchema(
        [
            new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id },
            new FeatureGroup { Name = "category", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical },
        ]);
        var world = RandomWorld.Create(36, 8, schema: itemsOnly, interactions: 300);
        var catalog = world.BuildCatalog().Current;
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var online = world.RandomOnlineVector(1f);

        var top = scorer.TopK(new FeatureVector(), online, 0.3f, catalog, 5);

        Assert.Equal(0, world.Model.UserTable.Rows);
        OnnxScorerTests.AssertIsTopK(world.ReferenceScores(new FeatureVector(), online, 0.3f, world.Items.Profiles), top, 5, excluded: []);
    }

    [Fact]
    public void Export_to_a_stream_writes_the_same_bytes()
    {
        var world = RandomWorld.Create(35, 8, interactions: 300);
        using var stream = new MemoryStream();

        OnnxModelExporter.Export(world.Model, "v", stream);

        Assert.Equal(OnnxModelExporter.Export(world.Model, "v"), stream.ToArray());
    }

    [Fact]
    public void An_unfitted_model_is_not_exported()
    {
        var model = new RecommenderModel(FeatureSchema.Default, 8, LossKind.Squared);

        Assert.Throws<ModelNotFittedException>(() => OnnxModelExporter.Export(model, "v"));
    }

    private static void AssertTensor(NodeMetadata metadata, Type elementType, params int[] dimensions)
    {
        Assert.True(metadata.IsTensor);
        Assert.Equal(elementType, metadata.ElementType);
        Assert.Equal(dimensions, metadata.Dimensions);
    }

    /// <summary>Runs the raw graph for users without feature rows or online state, one per exclusion row, each given the same candidates.</summary>
    private static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, ItemCatalogSnapshot catalog, float[][] exclude, long topK, long[] candidates)
    {
        var rank = catalog.Rank;
        var users = exclude.Length;
        var vectors = Enumerable.Range(0, catalog.Count).SelectMany(i => catalog.VectorOf(i).ToArray()).ToArray();
        var biases = Enumerable.Range(0, catalog.Count).Select(catalog.BiasOf).ToArray();
        using var userRows = OrtValue.CreateTensorValueFromMemory(new long[users], [users, 1]);
        using var userWeights = OrtValue.CreateTensorValueFromMemory(new float[users], [users, 1]);
        using var onlineVector = OrtValue.CreateTensorValueFromMemory(new float[users * rank], [users, rank]);
        using var onlineBias = OrtValue.CreateTensorValueFromMemory(new float[users], [users, 1]);
        using var itemVectors = OrtValue.CreateTensorValueFromMemory(vectors, [catalog.Count, rank]);
        using var itemBiases = OrtValue.CreateTensorValueFromMemory(biases, [catalog.Count]);
        using var candidateValue = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(candidates, users).SelectMany(c => c).ToArray(), [users, candidates.Length]);
        using var excludeValue = OrtValue.CreateTensorValueFromMemory(exclude.SelectMany(row => row).ToArray(), [users, catalog.Count]);
        using var topKValue = OrtValue.CreateTensorValueFromMemory(new[] { topK }, [1]);
        using var runOptions = new RunOptions();
        return session.Run(
            runOptions,
            [G.UserRows, G.UserWeights, G.OnlineVector, G.OnlineBias, G.ItemVectors, G.ItemBiases, G.Candidates, G.Exclude, G.TopK],
            [userRows, userWeights, onlineVector, onlineBias, itemVectors, itemBiases, candidateValue, excludeValue, topKValue],
            [G.CandidateScores, G.TopScores, G.TopIndices]);
    }
}
