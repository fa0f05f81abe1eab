using System.Globalization;
using System.Text;
using FuncRec.Core.Features;
using FuncRec.Core.Training;

namespace FuncRec.Core.Data;

/// <summary>
/// Reads the MovieLens 100K files (u.user, u.item, u.genre, u.data and the u1..u5 fold files) onto FuncRec's
/// generic form: users with age (bucketed), gender, occupation and zip prefix as demographics; items with genres
/// as categories, title words as text and release year as an attribute; ratings as interactions.
/// The dataset is licensed for research only: it is read where it lies and never copied.
/// </summary>
public sealed class MovieLens100K
{
    private static readonly Encoding Latin1 = Encoding.Latin1;

    private MovieLens100K(EntityCatalog users, EntityCatalog items, Interaction[] ratings, string directory)
    {
        Users = users;
        Items = items;
        Ratings = ratings;
        Directory = directory;
    }

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    /// <summary>All 100,000 ratings in file order.</summary>
    public Interaction[] Ratings { get; }

    public string Directory { get; }

    public TrainingData All => new(Users, Items, Ratings);

    /// <summary>The feature schema FuncRec uses for MovieLens: ids, behaviour, demographics; ids, genres, title words, year.</summary>
    public static FeatureSchema Schema(int behaviourCap = 200, bool behaviour = true, bool demographics = true, bool itemFeatures = true, bool ids = true, float ratingScale = 0f, bool titleWords = true)
    {
        var groups = new List<FeatureGroup>();
        if (ids)
        {
            groups.Add(new FeatureGroup { Name = "user", Side = FeatureSide.User, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None });
        }

        if (behaviour)
        {
            groups.Add(new FeatureGroup { Name = "recent", Side = FeatureSide.User, Kind = FeatureGroupKind.Behaviour, MaxValues = behaviourCap, ValueScale = ratingScale, ValueCenter = 3.5f });
        }

        if (demographics)
        {
            groups.Add(new FeatureGroup { Name = "age", Side = FeatureSide.User, Kind = FeatureGroupKind.Numeric, Boundaries = [18, 25, 30, 35, 45, 50, 56], Normalization = FeatureNormalization.None, Weight = 0.5f });
            groups.Add(new FeatureGroup { Name = "gender", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f });
            groups.Add(new FeatureGroup { Name = "occupation", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f });
            groups.Add(new FeatureGroup { Name = "zip", Side = FeatureSide.User, Kind = FeatureGroupKind.Categorical, Normalization = FeatureNormalization.None, Weight = 0.5f });
        }

        if (ids)
        {
            groups.Add(new FeatureGroup { Name = "item", Side = FeatureSide.Item, Kind = FeatureGroupKind.Id, Normalization = FeatureNormalization.None });
        }

        if (itemFeatures)
        {
            groups.Add(new FeatureGroup { Name = "genre", Side = FeatureSide.Item, Kind = FeatureGroupKind.Categorical, Weight = 0.5f });
            if (titleWords)
            {
                groups.Add(new FeatureGroup { Name = "title", Side = FeatureSide.Item, Kind = FeatureGroupKind.Text, HashBuckets = 4096, MaxValues = 16, Weight = 0.5f });
            }

            groups.Add(new FeatureGroup { Name = "year", Side = FeatureSide.Item, Kind = FeatureGroupKind.Numeric, Boundaries = [1940, 1960, 1970, 1980, 1985, 1990, 1993, 1995, 1996, 1997, 1998], Normalization = FeatureNormalization.None, Weight = 0.5f });
        }

        return new FeatureSchema(groups);
    }

    /// <summary>True when <paramref name="directory"/> holds the files this loader needs.</summary>
    public static bool IsPresent(string directory)
        => File.Exists(Path.Combine(directory, "u.data")) && File.Exists(Path.Combine(directory, "u.user")) && File.Exists(Path.Combine(directory, "u.item"));

    public static MovieLens100K Load(string directory)
    {
        if (!IsPresent(directory))
        {
            throw new FileNotFoundException($"No MovieLens 100K files (u.data, u.user, u.item) in '{directory}'.");
        }

        var genres = ReadGenres(Path.Combine(directory, "u.genre"));
        var users = new EntityCatalog();
        foreach (var line in File.ReadLines(Path.Combine(directory, "u.user"), Latin1))
        {
            var f = line.Split('|');
            if (f.Length < 5)
            {
                continue;
            }

            users.Upsert(new EntityProfile(f[0], new Dictionary<string, FeatureValue>
            {
                ["age"] = double.Parse(f[1], CultureInfo.InvariantCulture),
                ["gender"] = f[2],
                ["occupation"] = f[3],
                ["zip"] = f[4].Length >= 2 ? f[4][..2] : f[4],
            }));
        }

        var items = new EntityCatalog();
        foreach (var line in File.ReadLines(Path.Combine(directory, "u.item"), Latin1))
        {
            var f = line.Split('|');
            if (f.Length < 6 + genres.Length - 1)
            {
                continue;
            }

            var fields = new Dictionary<string, FeatureValue>();
            var itemGenres = new List<string>();
            for (var g = 0; g < genres.Length && 5 + g < f.Length; g++)
            {
                if (f[5 + g] == "1")
                {
                    itemGenres.Add(genres[g]);
                }
            }

            fields["genre"] = FeatureValue.Of(itemGenres);
            fields["title"] = StripYear(f[1]);
            if (ReleaseYear(f[2]) is { } year)
            {
                fields["year"] = year;
            }

            items.Upsert(new EntityProfile(f[0], fields));
        }

        var ratings = ReadRatings(Path.Combine(directory, "u.data"), users, items);
        return new MovieLens100K(users, items, ratings, directory);
    }

    /// <summary>Reads a fold file (e.g. u1.base) onto this dataset's catalogs.</summary>
    public Interaction[] ReadFold(string fileName) => ReadRatings(Path.Combine(Directory, fileName), Users, Items);

    private static Interaction[] ReadRatings(string path, EntityCatalog users, EntityCatalog items)
    {
        var list = new List<Interaction>(100_000);
        foreach (var line in File.ReadLines(path, Latin1))
        {
            var f = line.Split('\t');
            if (f.Length < 4)
            {
                continue;
            }

            list.Add(new Interaction(
                users.GetOrAdd(f[0]),
                items.GetOrAdd(f[1]),
                float.Parse(f[2], CultureInfo.InvariantCulture),
                long.Parse(f[3], CultureInfo.InvariantCulture)));
        }

        return list.ToArray();
    }

    private static string[] ReadGenres(string path)
    {
        if (!File.Exists(path))
        {
            return ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"];
        }

        return File.ReadLines(path, Latin1).Select(l => l.Split('|')).Where(f => f.Length >= 2 && f[0].Length > 0)
            .OrderBy(f => int.Parse(f[1], CultureInfo.InvariantCulture)).Select(f => f[0]).ToArray();
    }

    private static string StripYear(string title)
    {
        var open = title.LastIndexOf('(');
        return open > 0 && title.EndsWith(')') ? title[..open].Trim() : title;
    }

    private static double? ReleaseYear(string date)
    {
        // "01-Jan-1995"
        var dash = date.LastIndexOf('-');
        return dash >= 0 && int.TryParse(date.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var year) ? year : null;
    }
}
