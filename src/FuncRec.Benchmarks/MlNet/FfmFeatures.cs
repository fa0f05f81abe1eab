using System.Globalization;
using FuncRec.Core.Data;
using FuncRec.Core.Features;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FuncRec.Benchmarks.MlNet;

/// <summary>
/// The four FFM fields of every MovieLens user and item, built once: a row for a (user, item) pair then shares
/// the user's and the item's vectors instead of allocating its own, which keeps scoring 1.5 million pairs cheap.
/// The demographics are the fields FuncRec's <see cref="MovieLens100K.Schema"/> reads, bucketed the same way.
/// </summary>
internal sealed class FfmFeatures
{
    // The age boundaries of MovieLens100K.Schema, so both systems see the same age buckets.
    private static readonly double[] AgeBoundaries = [18, 25, 30, 35, 45, 50, 56];

    private readonly VBuffer<float>[] _users;
    private readonly VBuffer<float>[] _items;
    private readonly VBuffer<float>[] _genres;
    private readonly VBuffer<float>[] _demographics;

    public FfmFeatures(MovieLens100K data)
    {
        var userCount = data.Users.Count;
        var itemCount = data.Items.Count;
        _users = Enumerable.Range(0, userCount).Select(u => OneHot(userCount, u)).ToArray();
        _items = Enumerable.Range(0, itemCount).Select(i => OneHot(itemCount, i)).ToArray();

        var genreIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemGenres = data.Items.Profiles.Select(p => Tokens(p, "genre").Select(g => IndexOf(genreIndex, g)).ToArray()).ToArray();
        GenreCount = genreIndex.Count;
        _genres = itemGenres.Select(g => MultiHot(GenreCount, g)).ToArray();

        var demographicIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var userDemographics = data.Users.Profiles.Select(p => DemographicTokens(p).Select(t => IndexOf(demographicIndex, t)).ToArray()).ToArray();
        DemographicCount = demographicIndex.Count;
        _demographics = userDemographics.Select(d => MultiHot(DemographicCount, d)).ToArray();
        UserCount = userCount;
        ItemCount = itemCount;
    }

    public int UserCount { get; }

    public int ItemCount { get; }

    public int GenreCount { get; }

    public int DemographicCount { get; }

    /// <summary>The column types of <see cref="FfmExample"/>: known-size vectors, which the FFM trainer requires.</summary>
    public SchemaDefinition SchemaDefinition()
    {
        var definition = Microsoft.ML.Data.SchemaDefinition.Create(typeof(FfmExample));
        definition[nameof(FfmExample.User)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, UserCount);
        definition[nameof(FfmExample.Item)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, ItemCount);
        definition[nameof(FfmExample.Genres)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Math.Max(GenreCount, 1));
        definition[nameof(FfmExample.Demographics)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Math.Max(DemographicCount, 1));
        return definition;
    }

    public FfmExample Example(int user, int item, bool label) => new()
    {
        Label = label,
        User = _users[user],
        Item = _items[item],
        Genres = _genres[item],
        Demographics = _demographics[user],
    };

    private static IEnumerable<string> DemographicTokens(EntityProfile user)
    {
        if (user.Fields.TryGetValue("age", out var age) && age.TryGetNumber(out var years))
        {
            yield return "age=" + AgeBoundaries.Count(b => years >= b).ToString(CultureInfo.InvariantCulture);
        }

        foreach (var field in new[] { "gender", "occupation", "zip" })
        {
            foreach (var token in Tokens(user, field))
            {
                yield return field + "=" + token;
            }
        }
    }

    private static IEnumerable<string> Tokens(EntityProfile profile, string field)
    {
        if (!profile.Fields.TryGetValue(field, out var value))
        {
            yield break;
        }

        for (var i = 0; i < value.ValueCount; i++)
        {
            yield return value.ValueAt(i);
        }
    }

    private static int IndexOf(Dictionary<string, int> index, string token)
    {
        if (!index.TryGetValue(token, out var position))
        {
            position = index.Count;
            index.Add(token, position);
        }

        return position;
    }

    private static VBuffer<float> OneHot(int length, int index) => new(length, 1, [1f], [index]);

    private static VBuffer<float> MultiHot(int length, int[] indices)
    {
        var sorted = indices.Distinct().Order().ToArray();
        return new VBuffer<float>(Math.Max(length, 1), sorted.Length, Enumerable.Repeat(1f, sorted.Length).ToArray(), sorted);
    }
}
