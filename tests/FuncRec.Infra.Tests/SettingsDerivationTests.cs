using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

/// <summary>
/// The settings the app reads, derived from its code (<see cref="AppSettingsFromCode"/>), against what the Bicep
/// template sets, what docs/settings.md documents and what local.settings.sample.json sets. Each failure names the
/// offending settings.
/// </summary>
public sealed class SettingsDerivationTests
{
    private static DerivedSettings Code => AppSettingsFromCode.Settings;

    [Fact]
    public void Derivation_covers_every_source_in_the_code()
    {
        // Guards the derivation itself: one setting of each kind of source, so a derivation that silently finds
        // nothing (a renamed section, an unbuilt functions.metadata) cannot make the checks below pass vacuously.
        string[] expected =
        [
            "FuncRec__Model__Rank", "FuncRec__FineTune__Schedule", "FuncRec__Storage__EventLogSettleTime",
            "FuncRec__Cosmos__Endpoint", "FuncRecEventQueue", "FuncRecFineTuneSchedule", "AzureWebJobsStorage",
            "AzureWebJobsStorage__blobServiceUri", "AZURE_CLIENT_ID", "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "FuncRec__Embedded__DataDirectory", "FuncRec__Consumer__Workers",
        ];
        var missing = expected.Where(name => !Code.All.ContainsKey(name)).ToList();
        Assert.True(missing.Count == 0, $"The derivation from the code lost: {string.Join(", ", missing)}");
        Assert.NotEmpty(Code.BindingSettings);
        Assert.NotEmpty(Code.Connections);
        Assert.DoesNotContain(Code.All.Keys, name => name.Contains(':', StringComparison.Ordinal));
    }

    [Fact]
    public void The_Functions_app_reads_at_start_every_setting_of_the_sections_it_binds_and_none_of_the_local_host_only_ones()
    {
        var unread = Code.ReflectedFunctionsApp.Where(name => !Code.ReadAtStart.Contains(name)).Order().ToList();
        Assert.True(unread.Count == 0,
            $"Options properties the Functions app does not read at start (is their section still bound in AddFuncRecFunctions?): {string.Join(", ", unread)}");
        var localHostOnly = Code.ReflectedLocalHostOnly.Where(Code.ReadAtStart.Contains).Order().ToList();
        Assert.True(localHostOnly.Count == 0,
            $"The Functions app reads settings of a section classed as local-host-only: {string.Join(", ", localHostOnly)}");
    }

    /// <summary>(a) Nothing misspelled or stale in the template.</summary>
    [Fact]
    public async Task Every_setting_the_template_sets_is_read_by_the_app_or_its_runtime()
    {
        var settings = (await CompiledTemplate.MainAsync()).AppSettings;

        var unread = settings.Keys
            .Where(name => !Code.IsWantedInAzure(name)
                && !SettingsContract.ConnectionSettingsInAzure.Contains(name, StringComparer.OrdinalIgnoreCase)
                && !SettingsContract.PlatformOnly.Contains(name, StringComparer.OrdinalIgnoreCase))
            .Order()
            .ToList();
        Assert.True(unread.Count == 0,
            $"The template sets settings that neither the app nor the Functions runtime reads in Azure (misspelled, stale or local-only?): {string.Join(", ", unread)}");
    }

    /// <summary>(b) Nothing the app needs in Azure is missing.</summary>
    [Fact]
    public async Task Every_setting_the_app_reads_without_a_default_is_set_by_the_template_directly_or_through_its_connection_mapping()
    {
        var settings = (await CompiledTemplate.MainAsync()).AppSettings;

        // Setting name -> why it is needed (a setting may be needed both directly and as a connection's Azure form).
        var missing = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in Code.FunctionsApp.Where(s => !s.HasDefault).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var mapping = SettingsContract.Connections.SingleOrDefault(c => string.Equals(c.Local, setting.Name, StringComparison.OrdinalIgnoreCase));
            if (mapping is not null)
            {
                foreach (var name in mapping.InAzure.Where(name => !IsSet(settings, name)))
                {
                    missing.TryAdd(name, $"the Azure form of {setting.Name}");
                }
            }
            else if (!SettingsContract.LocalOnly.ContainsKey(setting.Name) && !IsSet(settings, setting.Name))
            {
                missing.TryAdd(setting.Name, $"from {string.Join(", ", setting.Sources)}");
            }
        }

        Assert.True(missing.Count == 0,
            $"The app reads these settings without a default, and the template does not set them: {string.Join("; ", missing.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} ({m.Value})"))}");
    }

    /// <summary>(c) The host resolves <c>%…%</c> expressions when it indexes the functions: unset, the function does not load.</summary>
    [Fact]
    public async Task Every_binding_expression_setting_is_set_by_the_template()
    {
        var settings = (await CompiledTemplate.MainAsync()).AppSettings;

        var missing = Code.BindingSettings.Where(name => !IsSet(settings, name)).Order().ToList();
        Assert.True(missing.Count == 0, $"functions.metadata binds to %…% settings that the template does not set: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Template_sets_no_local_only_or_local_host_only_setting()
    {
        var settings = (await CompiledTemplate.MainAsync()).AppSettings;

        var localOnly = settings.Keys.Where(SettingsContract.LocalOnly.ContainsKey).Order().ToList();
        Assert.True(localOnly.Count == 0, $"The template sets local-only settings: {string.Join(", ", localOnly.Select(n => $"{n} ({SettingsContract.LocalOnly[n]})"))}");
        var localHost = Code.LocalHostOnly.Select(s => s.Name).Where(settings.ContainsKey).Order().ToList();
        Assert.True(localHost.Count == 0, $"The template sets settings only the local host reads: {string.Join(", ", localHost)}");
    }

    [Fact]
    public async Task Template_values_agree_with_the_code_defaults()
    {
        var settings = (await CompiledTemplate.MainAsync()).AppSettings;

        var disagreeing = settings
            .Where(s => Code.All.TryGetValue(s.Key, out var setting) && setting.HasDefault && IsLiteral(s.Value)
                && !AppSettingsFromCode.MeansDefault(setting.Default!, s.Value))
            .Select(s => $"{s.Key} = '{s.Value}' (code default '{AppSettingsFromCode.Format(Code.All[s.Key].Default!)}')")
            .ToList();
        Assert.True(disagreeing.Count == 0, $"The template sets values other than the app's defaults: {string.Join("; ", disagreeing)}");
        Assert.All(SettingsContract.ExpectedAzureValues, expected => Assert.Equal(expected.Value, settings[expected.Key]));
    }

    [Fact]
    public void Connection_mappings_and_local_only_settings_name_settings_the_code_reads()
    {
        var problems = new List<string>();
        foreach (var mapping in SettingsContract.Connections)
        {
            if (!Code.IsReadByFunctionsApp(mapping.Local))
            {
                problems.Add($"the connection {mapping.Local} is not read by the Functions app");
            }

            if (!SettingsContract.LocalOnly.ContainsKey(mapping.Local))
            {
                problems.Add($"the local connection {mapping.Local} is not classed local-only");
            }

            // Every identity-based sub-key the app reads for this connection is part of its Azure form.
            var subKeys = Code.FunctionsApp.Select(s => s.Name)
                .Where(name => name.StartsWith(mapping.Local + "__", StringComparison.OrdinalIgnoreCase)
                    && !mapping.InAzure.Contains(name, StringComparer.OrdinalIgnoreCase));
            problems.AddRange(subKeys.Select(name => $"{name} is read by the app but missing from the Azure form of {mapping.Local}"));
        }

        var unmapped = Code.Connections.Where(c => !SettingsContract.Connections.Any(m => string.Equals(m.Local, c, StringComparison.OrdinalIgnoreCase)));
        problems.AddRange(unmapped.Select(c => $"functions.metadata uses the connection {c}, which has no mapping to its identity-based form"));
        var staleLocalOnly = SettingsContract.LocalOnly.Keys.Where(name => !Code.IsReadByFunctionsApp(name));
        problems.AddRange(staleLocalOnly.Select(name => $"SettingsContract.LocalOnly names {name}, which the Functions app does not read"));
        var appReadsPlatformOnly = SettingsContract.PlatformOnly.Where(Code.All.ContainsKey);
        problems.AddRange(appReadsPlatformOnly.Select(name => $"SettingsContract.PlatformOnly names {name}, which the app reads"));

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    /// <summary>(d) docs/settings.md is complete and has nothing stale.</summary>
    [Fact]
    public void Docs_settings_md_documents_every_setting_the_code_reads_and_no_other()
    {
        var documented = SettingsDoc.Read().Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(documented);

        var undocumented = Code.All.Keys.Where(name => !documented.Contains(name)).Order().ToList();
        var stale = documented
            .Where(name => !Code.All.ContainsKey(name) && !SettingsContract.ConnectionSettingsInAzure.Contains(name, StringComparer.OrdinalIgnoreCase))
            .Order()
            .ToList();
        Assert.True(undocumented.Count == 0 && stale.Count == 0,
            $"docs/settings.md misses settings the code reads: [{string.Join(", ", undocumented)}]; "
            + $"documents settings the code does not read: [{string.Join(", ", stale)}]");
    }

    [Fact]
    public void Docs_settings_md_gives_the_code_defaults()
    {
        var wrong = new List<string>();
        foreach (var documented in SettingsDoc.Read())
        {
            if (!Code.All.TryGetValue(documented.Name, out var setting))
            {
                continue;
            }

            if (setting.HasDefault && documented.Default is { } text && !AppSettingsFromCode.MeansDefault(setting.Default!, text))
            {
                wrong.Add($"{documented.Name}: docs `{text}`, code `{AppSettingsFromCode.Format(setting.Default!)}` (line {documented.Line})");
            }
            else if (!setting.HasDefault && documented.Default is { } claimed)
            {
                wrong.Add($"{documented.Name}: docs give the default `{claimed}`, the code has none (line {documented.Line})");
            }
        }

        Assert.True(wrong.Count == 0, $"docs/settings.md disagrees with the code's defaults: {string.Join("; ", wrong)}");
    }

    /// <summary>(e) The local sample sets only what is read, and everything a local run needs.</summary>
    [Fact]
    public void Local_settings_sample_sets_only_settings_the_Functions_app_or_runtime_reads()
    {
        var sample = SampleSettings();

        var unread = sample.Keys
            .Where(name => !Code.IsReadByFunctionsApp(name) && !SettingsContract.LocalRuntimeSettings.ContainsKey(name))
            .Order()
            .ToList();
        Assert.True(unread.Count == 0, $"local.settings.sample.json sets settings the Functions app does not read: {string.Join(", ", unread)}");
    }

    [Fact]
    public void Local_settings_sample_sets_the_connections_bindings_and_runtime_a_local_run_needs()
    {
        var sample = SampleSettings();

        var needed = SettingsContract.Connections.Select(c => c.Local)
            .Concat(Code.BindingSettings)
            .Concat(SettingsContract.LocalRuntimeSettings.Keys)
            .Distinct(StringComparer.OrdinalIgnoreCase);
        var missing = needed.Where(name => string.IsNullOrWhiteSpace(sample.GetValueOrDefault(name))).Order().ToList();
        Assert.True(missing.Count == 0, $"local.settings.sample.json does not set: {string.Join(", ", missing)}");
        Assert.All(SettingsContract.LocalRuntimeSettings, expected => Assert.Equal(expected.Value, sample[expected.Key]));
    }

    private static bool IsSet(IReadOnlyDictionary<string, string> settings, string name) =>
        settings.FirstOrDefault(s => string.Equals(s.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { } value
        && !string.IsNullOrWhiteSpace(value);

    /// <summary>A value the template alone determines (not an unevaluated "[expression]").</summary>
    private static bool IsLiteral(string value) => !(value.StartsWith('[') && value.EndsWith(']'));

    private static Dictionary<string, string?> SampleSettings()
    {
        var path = RepositoryRoot.Combine("local.settings.sample.json");
        var values = JsonNode.Parse(File.ReadAllText(path))?["Values"] as JsonObject
            ?? throw new FormatException($"{path} has no Values object.");
        return values.ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.OrdinalIgnoreCase);
    }
}
