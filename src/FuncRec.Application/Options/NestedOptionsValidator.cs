using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FuncRec.Application.Options;

/// <summary>
/// Data annotations on the nested option classes (ranges, required), which the built-in validator does not
/// descend into; a failure names the setting, e.g. <c>FuncRec:Online:LearningRate</c>.
/// </summary>
internal sealed class NestedOptionsValidator : IValidateOptions<FuncRecOptions>
{
    public ValidateOptionsResult Validate(string? name, FuncRecOptions options)
    {
        var failures = new List<string>();
        foreach (var (section, value) in new (string, object)[]
        {
            ("Model", options.Model), ("Ingest", options.Ingest), ("Online", options.Online), ("FineTune", options.FineTune), ("Serving", options.Serving),
        })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"{FuncRecOptions.Section}:{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
