using FuncRec.Application.Options;
using FuncRec.Core.Features;

namespace FuncRec.Application.Services;

/// <summary>
/// The feature schema of the models the service trains: <see cref="FeatureSchema.Default"/> (ids, recent
/// behaviour, common demographic, social, context and item fields), with the behaviour cap from configuration.
/// </summary>
public static class ServiceSchema
{
    public static FeatureSchema Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new FeatureSchema(FeatureSchema.Default.Groups.Select(group => group.Kind == FeatureGroupKind.Behaviour
            ? group with { MaxValues = options.BehaviourItems }
            : group));
    }
}
