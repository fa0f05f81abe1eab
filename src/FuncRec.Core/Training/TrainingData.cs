namespace FuncRec.Core.Training;

/// <summary>Interactions over two catalogs; the unit every fit, partial fit, fine-tune and evaluation takes.</summary>
public sealed class TrainingData
{
    public TrainingData(EntityCatalog users, EntityCatalog items, IReadOnlyList<Interaction> interactions)
    {
        Users = users ?? throw new ArgumentNullException(nameof(users));
        Items = items ?? throw new ArgumentNullException(nameof(items));
        Interactions = interactions ?? throw new ArgumentNullException(nameof(interactions));
        foreach (var interaction in interactions)
        {
            if ((uint)interaction.User >= (uint)users.Count || (uint)interaction.Item >= (uint)items.Count)
            {
                throw new ArgumentException($"Interaction ({interaction.User}, {interaction.Item}) refers to an index outside the catalogs.", nameof(interactions));
            }

            if (!float.IsFinite(interaction.Value))
            {
                throw new ArgumentException($"Interaction ({interaction.User}, {interaction.Item}) has a non-finite value.", nameof(interactions));
            }
        }
    }

    public EntityCatalog Users { get; }

    public EntityCatalog Items { get; }

    public IReadOnlyList<Interaction> Interactions { get; }

    /// <summary>The same catalogs with another list of interactions (a split or a window).</summary>
    public TrainingData With(IReadOnlyList<Interaction> interactions) => new(Users, Items, interactions);

    /// <summary>The interactions sorted by timestamp, ties kept in their original order.</summary>
    public TrainingData SortedByTime()
    {
        var sorted = Interactions.Select((interaction, index) => (interaction, index))
            .OrderBy(x => x.interaction.Timestamp).ThenBy(x => x.index).Select(x => x.interaction).ToArray();
        return With(sorted);
    }
}
