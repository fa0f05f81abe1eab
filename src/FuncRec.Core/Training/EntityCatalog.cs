using FuncRec.Core.Features;

namespace FuncRec.Core.Training;

/// <summary>
/// The users or the items a dataset speaks of, each at a stable index. Append-only (a profile may be replaced,
/// never removed), so indices held by interactions, histories and caches stay valid.
/// </summary>
public sealed class EntityCatalog
{
    private readonly List<EntityProfile> _profiles = [];
    private readonly Dictionary<string, int> _indexById = new(StringComparer.Ordinal);

    public EntityCatalog()
    {
    }

    public EntityCatalog(IEnumerable<EntityProfile> profiles)
    {
        foreach (var profile in profiles)
        {
            Upsert(profile);
        }
    }

    public int Count => _profiles.Count;

    public EntityProfile this[int index] => _profiles[index];

    /// <summary>Incremented on every change, so caches know when to re-encode.</summary>
    public int Version { get; private set; }

    public IReadOnlyList<EntityProfile> Profiles => _profiles;

    public bool TryGetIndex(string id, out int index) => _indexById.TryGetValue(id, out index);

    public int IndexOf(string id) => _indexById.TryGetValue(id, out var index) ? index : -1;

    /// <summary>The index of an id, adding a profile with no fields when it is new.</summary>
    public int GetOrAdd(string id)
    {
        if (_indexById.TryGetValue(id, out var index))
        {
            return index;
        }

        return Upsert(new EntityProfile(id));
    }

    /// <summary>Adds a profile or replaces the one with the same id; returns its index.</summary>
    public int Upsert(EntityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Version++;
        if (_indexById.TryGetValue(profile.Id, out var index))
        {
            _profiles[index] = profile;
            return index;
        }

        index = _profiles.Count;
        _profiles.Add(profile);
        _indexById.Add(profile.Id, index);
        return index;
    }
}
