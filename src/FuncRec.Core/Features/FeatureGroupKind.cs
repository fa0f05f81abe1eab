namespace FuncRec.Core.Features;

/// <summary>How the raw values of a feature group are read and turned into table rows.</summary>
public enum FeatureGroupKind
{
    /// <summary>The entity's own id: one dictionary row per id.</summary>
    Id = 0,

    /// <summary>One or more categorical values (gender, occupation, genres).</summary>
    Categorical = 1,

    /// <summary>A number placed in a bucket by ascending boundaries (age, year).</summary>
    Numeric = 2,

    /// <summary>Free text split into lower-case word tokens and hashed (titles, descriptions).</summary>
    Text = 3,

    /// <summary>User side: ids of the items the user recently interacted with (kept by the learner, not the profile).</summary>
    Behaviour = 4,

    /// <summary>User side: ids of connected users (friends, follows).</summary>
    Social = 5,

    /// <summary>User side, per request only: key/value pairs such as device or hour of day; hashed.</summary>
    Context = 6,
}
