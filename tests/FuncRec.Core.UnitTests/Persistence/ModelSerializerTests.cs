using FuncRec.Core.Data;
using FuncRec.Core.Features;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using FuncRec.Core.UnitTests.Support;

namespace FuncRec.Core.UnitTests.Persistence;

public sealed class ModelSerializerTests
{
    private static readonly Lazy<(SyntheticWorld World, byte[] Bytes)> Trained = new(() =>
    {
        var world = Worlds.Ratings(events: 3000);
        return (world, ModelSerializer.ToBytes(Worlds.FitRatings(world)));
    });

    [Fact]
    public void Round_trip_is_exact()
    {
        var (world, bytes) = Trained.Value;
        var loaded = ModelSerializer.FromBytes(bytes);
        Assert.Equal(bytes, ModelSerializer.ToBytes(loaded));
        var original = new CatalogScorer(ModelSerializer.FromBytes(bytes), world.Users, world.Items, null);
        var reloaded = new CatalogScorer(loaded, world.Users, world.Items, null);
        for (var u = 0; u < 20; u++)
        {
            Assert.Equal(original.Predict(u, u % world.Items.Count), reloaded.Predict(u, u % world.Items.Count));
        }

        Assert.Equal(SyntheticWorld.Schema().Hash, loaded.Schema.Hash);
        Assert.Equal(loaded.Space.RowCount(FeatureSide.User), loaded.UserTable.Rows);
    }

    [Fact]
    public void A_loaded_model_keeps_training_like_the_original()
    {
        var (world, bytes) = Trained.Value;
        var a = ModelSerializer.FromBytes(bytes);
        var b = ModelSerializer.FromBytes(bytes);
        var trainer = new RecommenderTrainer(Worlds.RatingOptions);
        trainer.FitPartial(a, world.All);
        trainer.FitPartial(b, world.All);
        Assert.Equal(ModelSerializer.ToBytes(a), ModelSerializer.ToBytes(b));
    }

    [Fact]
    public void A_truncated_file_is_refused_as_truncated()
    {
        var bytes = Trained.Value.Bytes;
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ModelSerializer.FromBytes(bytes.AsSpan(0, bytes.Length - 100))).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ModelSerializer.FromBytes(bytes.AsSpan(0, 10))).Message);
    }

    [Fact]
    public void A_file_of_another_format_version_is_refused_naming_the_version()
    {
        var bytes = (byte[])Trained.Value.Bytes.Clone();
        BitConverter.GetBytes(99).CopyTo(bytes, 4);
        Assert.Contains("format version 99", Assert.Throws<InvalidDataException>(() => ModelSerializer.FromBytes(bytes)).Message);
    }

    [Fact]
    public void A_damaged_file_is_refused_by_its_checksum()
    {
        var bytes = (byte[])Trained.Value.Bytes.Clone();
        bytes[bytes.Length / 2] ^= 0x40;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ModelSerializer.FromBytes(bytes)).Message);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_refused()
    {
        var bytes = new byte[200];
        "JUNK"u8.CopyTo(bytes);
        Assert.Contains("not a FuncRec model", Assert.Throws<InvalidDataException>(() => ModelSerializer.FromBytes(bytes)).Message);
    }
}
