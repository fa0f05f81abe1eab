using System.Text;
using FuncRec.Core.Data;
using FuncRec.Core.Features;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Data;

/// <summary>The loader on a tiny fixture written in the MovieLens 100K formats (the real dataset is never needed).</summary>
public sealed class MovieLens100KTests : IDisposable
{
    private static readonly string[] Genres =
        ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"];

    private readonly TempDirectory _directory = new();

    public MovieLens100KTests()
    {
        _directory.Write("u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|3\n");

        // Listed out of order with the trailing blank line of the real file: the loader orders by the index column.
        _directory.Write("u.genre", string.Join('\n', Genres.Select((g, i) => $"{g}|{i}").Reverse()) + "\n\n");

        var items = new StringBuilder();
        items.Append(ItemLine("1", "Toy Story (1995)", "01-Jan-1995", "Animation", "Children's", "Comedy")).Append('\n');
        items.Append(ItemLine("2", "Café Society (1995)", "01-Jan-1995", "Drama")).Append('\n');
        items.Append(ItemLine("3", "Seven (Se7en) (1995)", "01-Jan-1995", "Crime", "Thriller")).Append('\n');
        items.Append(ItemLine("267", "unknown", string.Empty, "unknown")).Append('\n');
        _directory.Write("u.item", items.ToString(), Encoding.Latin1);

        _directory.Write("u.data", "1\t1\t5\t874965758\n2\t2\t3\t876893171\n3\t1\t4\t878542960\n1\t267\t2\t875071561\n");
        _directory.Write("u1.base", "1\t1\t5\t874965758\n3\t1\t4\t878542960\n");
        _directory.Write("u1.test", "2\t2\t3\t876893171\n");
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_reads_demographics_with_a_two_digit_zip_prefix()
    {
        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal(3, data.Users.Count);
        var user = data.Users[data.Users.IndexOf("1")];
        Assert.Equal(FeatureValueKind.Number, user.Fields["age"].Kind);
        Assert.Equal(24, user.Fields["age"].Number);
        Assert.Equal("M", user.Fields["gender"].Text);
        Assert.Equal("technician", user.Fields["occupation"].Text);
        Assert.Equal("85", user.Fields["zip"].Text);
        Assert.Equal("F", data.Users[data.Users.IndexOf("2")].Fields["gender"].Text);
        Assert.Equal("3", data.Users[data.Users.IndexOf("3")].Fields["zip"].Text);
    }

    [Fact]
    public void Load_reads_genres_from_the_flags_in_genre_index_order()
    {
        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal(["Animation", "Children's", "Comedy"], Item(data, "1").Fields["genre"].List!);
        Assert.Equal(["Crime", "Thriller"], Item(data, "3").Fields["genre"].List!);
        Assert.Equal(["unknown"], Item(data, "267").Fields["genre"].List!);
    }

    [Fact]
    public void Load_strips_the_year_from_titles_and_reads_latin1()
    {
        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal("Toy Story", Item(data, "1").Fields["title"].Text);
        Assert.Equal("Café Society", Item(data, "2").Fields["title"].Text);
        Assert.Equal("Seven (Se7en)", Item(data, "3").Fields["title"].Text);
        Assert.Equal("unknown", Item(data, "267").Fields["title"].Text);
    }

    [Fact]
    public void Load_without_u_genre_uses_the_standard_genre_list()
    {
        File.Delete(Path.Combine(_directory.Path, "u.genre"));

        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal(["Animation", "Children's", "Comedy"], Item(data, "1").Fields["genre"].List!);
    }

    [Fact]
    public void Load_reads_the_release_year_and_leaves_it_out_when_the_date_is_missing()
    {
        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal(1995, Item(data, "1").Fields["year"].Number);
        Assert.False(Item(data, "267").Fields.ContainsKey("year"));
    }

    [Fact]
    public void Load_reads_ratings_in_file_order_onto_catalog_indices()
    {
        var data = MovieLens100K.Load(_directory.Path);

        Assert.Equal(
            [
                new Interaction(U(data, "1"), I(data, "1"), 5f, 874965758),
                new Interaction(U(data, "2"), I(data, "2"), 3f, 876893171),
                new Interaction(U(data, "3"), I(data, "1"), 4f, 878542960),
                new Interaction(U(data, "1"), I(data, "267"), 2f, 875071561),
            ],
            data.Ratings);
        Assert.Equal(4, data.Items.Count);
        Assert.Equal(4, data.All.Interactions.Count);
        Assert.Equal(_directory.Path, data.Directory);
    }

    [Fact]
    public void ReadFold_reads_a_fold_file_onto_the_same_catalogs()
    {
        var data = MovieLens100K.Load(_directory.Path);

        var train = data.ReadFold("u1.base");
        var test = data.ReadFold("u1.test");

        Assert.Equal([new Interaction(U(data, "1"), I(data, "1"), 5f, 874965758), new Interaction(U(data, "3"), I(data, "1"), 4f, 878542960)], train);
        Assert.Equal([new Interaction(U(data, "2"), I(data, "2"), 3f, 876893171)], test);
        Assert.Equal(3, data.Users.Count);
    }

    [Fact]
    public void Load_without_the_files_throws_FileNotFoundException()
    {
        using var empty = new TempDirectory();

        Assert.False(MovieLens100K.IsPresent(empty.Path));
        Assert.True(MovieLens100K.IsPresent(_directory.Path));
        Assert.Throws<FileNotFoundException>(() => MovieLens100K.Load(empty.Path));
    }

    [Fact]
    public void Schema_reads_the_fields_the_loader_writes()
    {
        var schema = MovieLens100K.Schema();

        Assert.Equal(["user", "recent", "age", "gender", "occupation", "zip"], schema.UserGroups.Select(g => g.Name));
        Assert.Equal(["item", "genre", "title", "year"], schema.ItemGroups.Select(g => g.Name));
        Assert.Equal(["user", "item"], MovieLens100K.Schema(behaviour: false, demographics: false, itemFeatures: false).Groups.Select(g => g.Name));
    }

    [Fact]
    public void Loaded_profiles_encode_without_unknown_fields()
    {
        var data = MovieLens100K.Load(_directory.Path);
        var encoder = new FeatureEncoder(new FeatureSpace(MovieLens100K.Schema()));
        var vector = new FeatureVector();

        foreach (var user in data.Users.Profiles)
        {
            encoder.EncodeProfile(FeatureSide.User, user, grow: true, vector);
        }

        foreach (var item in data.Items.Profiles)
        {
            encoder.EncodeProfile(FeatureSide.Item, item, grow: true, vector);
        }

        Assert.Equal(0, encoder.UnknownFieldCount);
        Assert.Equal(0, encoder.UnmappedValueCount);
    }

    private static EntityProfile Item(MovieLens100K data, string id) => data.Items[I(data, id)];

    private static int U(MovieLens100K data, string id) => data.Users.IndexOf(id);

    private static int I(MovieLens100K data, string id) => data.Items.IndexOf(id);

    private static string ItemLine(string id, string title, string date, params string[] genres)
    {
        var flags = Genres.Select(g => genres.Contains(g) ? "1" : "0");
        return $"{id}|{title}|{date}||http://us.imdb.com/M/title-exact?{Uri.EscapeDataString(title)}|{string.Join('|', flags)}";
    }
}
