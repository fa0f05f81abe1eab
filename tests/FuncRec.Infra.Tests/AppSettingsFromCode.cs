using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FuncRec.Application.Options;
using FuncRec.Application.Services;
using FuncRec.Azure;
using FuncRec.Embedded;
using FuncRec.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FuncRec.Infra.Tests;

/// <summary>A setting the code reads, as an app-setting name (<c>__</c> between sections).</summary>
/// <param name="Default">The value the code uses when the setting is absent; null when it has none.</param>
/// <param name="ReadByFunctionsApp">False for settings only the local host (<c>funcrec serve</c>) reads.</param>
/// <param name="Sources">Where in the code the setting was found.</param>
public sealed record AppSetting(string Name, object? Default, bool ReadByFunctionsApp, IReadOnlyList<string> Sources)
{
    public bool HasDefault => Default is not null;

    public override string ToString() => Name;
}

/// <summary>
/// The settings FuncRec reads, derived from its code rather than from a list kept by hand:
/// <list type="bullet">
/// <item>the options classes, by reflection: every public settable property of a simple type (string, number, bool,
/// enum, TimeSpan, Uri, ... or nullable of those) under the class's configuration section, nested option classes
/// becoming nested sections, with the property's value on a fresh instance as the default;</item>
/// <item>the flat settings the code names in constants (trigger settings, the storage connection, telemetry);</item>
/// <item>every key the Functions app actually reads while it starts: its registration
/// (<see cref="FunctionsRegistration.AddFuncRecFunctions"/>) runs over a configuration that records each key asked
/// for, and every FuncRec options type it registers is resolved, as are the Azure credentials; this is how the storage
/// connection's identity-based sub-keys and the managed identity's client id are found as the factories read them,
/// and it checks that the app really binds the sections the reflection walks;</item>
/// <item>the <c>%…%</c> binding expressions and connection names in the built <c>functions.metadata</c>.</item>
/// </list>
/// </summary>
public static partial class AppSettingsFromCode
{
    private static readonly Lazy<DerivedSettings> Derived = new(Derive);

    /// <summary>Sections the Functions app binds (<see cref="FunctionsRegistration"/>).</summary>
    private static readonly (string Section, Type Type)[] FunctionsAppSections =
    [
        (FuncRecOptions.Section, typeof(FuncRecOptions)),
        (AzureStorageOptions.Section, typeof(AzureStorageOptions)),
        (CosmosStoreOptions.Section, typeof(CosmosStoreOptions)),
    ];

    /// <summary>Sections only the local host binds (embedded stores, its polling queue consumer); the Functions app does not.</summary>
    private static readonly (string Section, Type Type)[] LocalHostOnlySections =
    [
        (EmbeddedOptions.Section, typeof(EmbeddedOptions)),
        (QueueConsumerOptions.Section, typeof(QueueConsumerOptions)),
    ];

    public static DerivedSettings Settings => Derived.Value;

    /// <summary>src/FuncRec.Functions/bin/&lt;this build's configuration&gt;/&lt;framework&gt;/functions.metadata.</summary>
    public static string FunctionsMetadataPath
    {
        get
        {
            var metadata = typeof(AppSettingsFromCode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToList();
            string Value(string key) => metadata.SingleOrDefault(a => a.Key == key)?.Value
                ?? throw new InvalidOperationException($"The test assembly has no [AssemblyMetadata(\"{key}\")]; see FuncRec.Infra.Tests.csproj.");
            return RepositoryRoot.Combine("src", "FuncRec.Functions", "bin", Value("Configuration"), Value("TargetFramework"), "functions.metadata");
        }
    }

    /// <summary>A configuration key (<c>FuncRec:Model:Rank</c>) as an app-setting name (<c>FuncRec__Model__Rank</c>).</summary>
    public static string SettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>A default as a configuration value, the form the binder parses.</summary>
    public static string Format(object value) => value switch
    {
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Whether a setting's text (in the template, a sample or the docs) means the code's default value.</summary>
    public static bool MeansDefault(object codeDefault, string text)
    {
        var invariant = CultureInfo.InvariantCulture;
        return codeDefault switch
        {
            string s => string.Equals(s, text, StringComparison.Ordinal),
            bool b => bool.TryParse(text, out var parsed) && parsed == b,
            TimeSpan span => TimeSpan.TryParse(text, invariant, out var parsed) && parsed == span,
            Enum e => Enum.TryParse(e.GetType(), text, ignoreCase: false, out var parsed) && Equals(parsed, e),
            Uri uri => Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed == uri,
            IConvertible number when IsNumber(number.GetType()) =>
                decimal.TryParse(text, NumberStyles.Float, invariant, out var parsed) && parsed == Convert.ToDecimal(number, invariant),
            _ => string.Equals(Format(codeDefault), text, StringComparison.Ordinal),
        };
    }

    private static DerivedSettings Derive()
    {
        var builder = new Builder();
        // Keys the binder looks at that are no settings: sections, and get-only (computed) properties it cannot set.
        var notSettings = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        // 1. Options classes, by reflection.
        foreach (var (section, type) in FunctionsAppSections)
        {
            Reflect(SettingName(section), type, Activator.CreateInstance(type)!, $"{type.Name}", functionsApp: true, builder, notSettings);
        }

        var reflectedFunctionsApp = builder.Names.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (section, type) in LocalHostOnlySections)
        {
            Reflect(SettingName(section), type, Activator.CreateInstance(type)!, $"{type.Name}", functionsApp: false, builder, notSettings);
        }

        var reflectedLocalHostOnly = builder.Names.Where(n => !reflectedFunctionsApp.Contains(n)).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // 2. Flat settings named by constants. The flat schedule overrides FuncRec:FineTune:Schedule (AddFuncRecApplication).
        builder.Add(FuncRecOptions.EventQueueSetting, new EventQueueOptions().QueueName, true, "FuncRecOptions.EventQueueSetting");
        builder.Add(EventQueueOptions.QueueNameSetting, new EventQueueOptions().QueueName, true, "EventQueueOptions.QueueNameSetting");
        builder.Add(FuncRecOptions.FineTuneScheduleSetting, new FuncRecOptions().FineTune.Schedule, true, "FuncRecOptions.FineTuneScheduleSetting");
        builder.Add(FunctionsRegistration.ApplicationInsightsSetting, null, true, "FunctionsRegistration.ApplicationInsightsSetting");
        builder.Add(StorageConnectionOptions.Setting, null, true, "StorageConnectionOptions.Setting");

        // 3. What the Functions app reads while it starts.
        var readAtStart = RecordKeysReadAtStart(builder.All.Where(s => s.ReadByFunctionsApp && s.HasDefault))
            .Select(SettingName)
            .Where(name => !notSettings.Contains(name))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in readAtStart)
        {
            builder.Add(name, null, true, "read by the Functions app at start");
        }

        // 4. functions.metadata: %…% expressions and connection names of the bindings.
        var (bindingSettings, connections) = ReadFunctionsMetadata();
        foreach (var name in bindingSettings)
        {
            builder.Add(name, null, true, "functions.metadata %…%");
        }

        foreach (var name in connections)
        {
            builder.Add(name, null, true, "functions.metadata connection");
        }

        return new DerivedSettings(builder.All, bindingSettings, connections, readAtStart, reflectedFunctionsApp, reflectedLocalHostOnly);
    }

    private static void Reflect(string section, Type type, object instance, string path, bool functionsApp, Builder builder, HashSet<string> notSettings)
    {
        notSettings.Add(section);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var settable = property.SetMethod is { IsPublic: true };
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var name = $"{section}__{property.Name}";
            if (IsSimple(propertyType))
            {
                // Get-only simple properties are computed (e.g. ModelOptions.Loss), not settings.
                if (settable)
                {
                    builder.Add(name, property.GetValue(instance), functionsApp, $"{path}.{property.Name}");
                }
                else
                {
                    notSettings.Add(name);
                }
            }
            else if (IsOptionsClass(propertyType))
            {
                var child = property.GetValue(instance) ?? Activator.CreateInstance(propertyType)!;
                Reflect(name, propertyType, child, $"{path}.{property.Name}", functionsApp, builder, notSettings);
            }
            else if (settable)
            {
                throw new NotSupportedException(
                    $"{type.FullName}.{property.Name} is a {property.PropertyType}, neither a simple setting type nor an options class: "
                    + "teach AppSettingsFromCode how the configuration binder names its settings.");
            }
        }
    }

    private static bool IsSimple(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(char) || type.IsEnum || IsNumber(type)
        || type == typeof(TimeSpan) || type == typeof(Uri) || type == typeof(DateTime) || type == typeof(DateTimeOffset)
        || type == typeof(Guid);

    private static bool IsNumber(Type type) =>
        type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
        || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong)
        || type == typeof(float) || type == typeof(double) || type == typeof(decimal);

    private static bool IsOptionsClass(Type type) =>
        type.IsClass && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null
        && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);

    /// <summary>
    /// Runs the Functions app's registration over a configuration that records the keys asked for, then resolves
    /// every FuncRec options type it registers (binding, flat-setting overrides, connection readers) and the Azure
    /// credentials. The sections hold their defaults, so the binder walks every property (it skips an empty section);
    /// validation failures (no connection is configured here) are expected and ignored.
    /// </summary>
    private static IReadOnlyCollection<string> RecordKeysReadAtStart(IEnumerable<AppSetting> withDefaults)
    {
        var recorder = new RecordingConfigurationSource(withDefaults.ToDictionary(
            s => s.Name.Replace("__", ":", StringComparison.Ordinal), s => (string?)Format(s.Default!), StringComparer.OrdinalIgnoreCase));
        var configuration = new ConfigurationBuilder().Add(recorder).Build();
        var services = new ServiceCollection();
        services.AddFuncRecFunctions(configuration);

        var optionsTypes = services
            .Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IConfigureOptions<>))
            .Select(t => t.GetGenericArguments()[0])
            .Where(t => t.Namespace?.StartsWith("FuncRec", StringComparison.Ordinal) == true)
            .Distinct()
            .ToList();
        using var provider = services.BuildServiceProvider();
        foreach (var type in optionsTypes)
        {
            var optionsType = typeof(IOptions<>).MakeGenericType(type);
            try
            {
                _ = optionsType.GetProperty(nameof(IOptions<object>.Value))!.GetValue(provider.GetRequiredService(optionsType));
            }
            catch (TargetInvocationException e) when (e.InnerException is OptionsValidationException)
            {
            }
        }

        _ = provider.GetRequiredService<AzureCredentials>().Credential;
        return recorder.Keys;
    }

    private static (IReadOnlySet<string> Bindings, IReadOnlySet<string> Connections) ReadFunctionsMetadata()
    {
        var path = FunctionsMetadataPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"functions.metadata is missing at {path}. The Functions SDK writes it when src/FuncRec.Functions is built; "
                + "building this test project builds it in the same configuration through its project reference "
                + "(dotnet build tests/FuncRec.Infra.Tests -c <configuration>). The settings of the %…% binding expressions "
                + "cannot be derived without it.",
                path);
        }

        var functions = JsonNode.Parse(File.ReadAllText(path)) as JsonArray
            ?? throw new FormatException($"{path} is not a JSON array of functions.");
        var bindings = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var connections = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var binding in functions.SelectMany(f => f?["bindings"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var text in Strings(binding))
            {
                foreach (Match match in BindingExpression().Matches(text))
                {
                    bindings.Add(match.Groups[1].Value);
                }
            }

            if (binding["connection"] is JsonValue connection && connection.TryGetValue<string>(out var name) && name.Length > 0)
            {
                connections.Add(SettingName(name));
            }
        }

        return (bindings, connections);
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex BindingExpression();

    private sealed class Builder
    {
        private readonly Dictionary<string, AppSetting> _settings = new(StringComparer.OrdinalIgnoreCase);

        public IEnumerable<string> Names => _settings.Keys;

        public IReadOnlyCollection<AppSetting> All => _settings.Values;

        public void Add(string name, object? value, bool functionsApp, string source)
        {
            _settings[name] = _settings.TryGetValue(name, out var known)
                ? known with
                {
                    Default = known.Default ?? value,
                    ReadByFunctionsApp = known.ReadByFunctionsApp || functionsApp,
                    Sources = [.. known.Sources, source],
                }
                : new AppSetting(name, value, functionsApp, [source]);
        }
    }

    private sealed class RecordingConfigurationSource(IDictionary<string, string?> values) : IConfigurationSource
    {
        private readonly HashSet<string> _keys = new(StringComparer.OrdinalIgnoreCase);

        public IReadOnlyCollection<string> Keys
        {
            get
            {
                lock (_keys)
                {
                    return _keys.ToList();
                }
            }
        }

        public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(this, values);

        private sealed class Provider : ConfigurationProvider
        {
            private readonly RecordingConfigurationSource _source;

            public Provider(RecordingConfigurationSource source, IDictionary<string, string?> values)
            {
                _source = source;
                foreach (var (key, value) in values)
                {
                    Data[key] = value;
                }
            }

            public override bool TryGet(string key, out string? value)
            {
                lock (_source._keys)
                {
                    _source._keys.Add(key);
                }

                return base.TryGet(key, out value);
            }
        }
    }
}

/// <summary>The derived settings, with the parts the tests check separately.</summary>
public sealed class DerivedSettings(
    IEnumerable<AppSetting> all,
    IReadOnlySet<string> bindingSettings,
    IReadOnlySet<string> connections,
    IReadOnlySet<string> readAtStart,
    IReadOnlySet<string> reflectedFunctionsApp,
    IReadOnlySet<string> reflectedLocalHostOnly)
{
    public IReadOnlyDictionary<string, AppSetting> All { get; } = all.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Settings the Functions app (or its runtime, for binding expressions and connections) reads.</summary>
    public IEnumerable<AppSetting> FunctionsApp => All.Values.Where(s => s.ReadByFunctionsApp);

    /// <summary>Settings only the local host reads.</summary>
    public IEnumerable<AppSetting> LocalHostOnly => All.Values.Where(s => !s.ReadByFunctionsApp);

    /// <summary>Settings of the <c>%…%</c> expressions in functions.metadata: the host resolves them when it indexes the functions.</summary>
    public IReadOnlySet<string> BindingSettings { get; } = bindingSettings;

    /// <summary>Connection names of the bindings in functions.metadata.</summary>
    public IReadOnlySet<string> Connections { get; } = connections;

    /// <summary>Keys the Functions app's registration and options read at start.</summary>
    public IReadOnlySet<string> ReadAtStart { get; } = readAtStart;

    public IReadOnlySet<string> ReflectedFunctionsApp { get; } = reflectedFunctionsApp;

    public IReadOnlySet<string> ReflectedLocalHostOnly { get; } = reflectedLocalHostOnly;

    public bool IsReadByFunctionsApp(string name) => All.TryGetValue(name, out var setting) && setting.ReadByFunctionsApp;

    /// <summary>Read by the Functions app and wanted in Azure (not a local-only setting).</summary>
    public bool IsWantedInAzure(string name) => IsReadByFunctionsApp(name) && !SettingsContract.LocalOnly.ContainsKey(name);
}
