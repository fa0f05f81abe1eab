using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FuncRec.Core.Features;

/// <summary>The raw value of one profile field: a text, a number, or a list of texts.</summary>
[JsonConverter(typeof(FeatureValueJsonConverter))]
public readonly record struct FeatureValue
{
    private FeatureValue(string? text, double number, IReadOnlyList<string>? list, FeatureValueKind kind)
    {
        Text = text;
        Number = number;
        List = list;
        Kind = kind;
    }

    public FeatureValueKind Kind { get; }

    public string? Text { get; }

    public double Number { get; }

    public IReadOnlyList<string>? List { get; }

    public static FeatureValue Of(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), 0, null, FeatureValueKind.Text);

    public static FeatureValue Of(double number) => new(null, number, null, FeatureValueKind.Number);

    public static FeatureValue Of(IReadOnlyList<string> list) => new(null, 0, list ?? throw new ArgumentNullException(nameof(list)), FeatureValueKind.List);

    public static implicit operator FeatureValue(string text) => Of(text);

    public static implicit operator FeatureValue(double number) => Of(number);

    public static implicit operator FeatureValue(string[] list) => Of(list);

    /// <summary>The value as a number when it is one or a text that parses as one.</summary>
    public bool TryGetNumber(out double number)
    {
        switch (Kind)
        {
            case FeatureValueKind.Number:
                number = Number;
                return double.IsFinite(number);
            case FeatureValueKind.Text:
                return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);
            default:
                number = 0;
                return false;
        }
    }

    /// <summary>Number of categorical values this field carries.</summary>
    public int ValueCount => Kind switch
    {
        FeatureValueKind.List => List!.Count,
        _ => 1,
    };

    /// <summary>The i-th categorical value as text (numbers are written invariantly).</summary>
    public string ValueAt(int index) => Kind switch
    {
        FeatureValueKind.List => List![index],
        FeatureValueKind.Text => Text!,
        _ => Number.ToString("R", CultureInfo.InvariantCulture),
    };

    public override string ToString() => Kind switch
    {
        FeatureValueKind.List => "[" + string.Join(", ", List!) + "]",
        FeatureValueKind.Text => Text!,
        _ => Number.ToString("R", CultureInfo.InvariantCulture),
    };
}

public enum FeatureValueKind
{
    Text = 0,
    Number = 1,
    List = 2,
}

/// <summary>Reads a JSON string, number, or array of strings/numbers; anything else is a <see cref="JsonException"/> naming the problem.</summary>
public sealed class FeatureValueJsonConverter : JsonConverter<FeatureValue>
{
    /// <summary>Longest list accepted in one field, so one request cannot allocate without bound.</summary>
    public const int MaxListLength = 1000;

    public override FeatureValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return FeatureValue.Of(reader.GetString()!);
            case JsonTokenType.Number:
                return FeatureValue.Of(FiniteNumber(ref reader));
            case JsonTokenType.True:
            case JsonTokenType.False:
                return FeatureValue.Of(reader.GetBoolean() ? "true" : "false");
            case JsonTokenType.StartArray:
                var list = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString()!,
                        JsonTokenType.Number => FiniteNumber(ref reader).ToString("R", CultureInfo.InvariantCulture),
                        _ => throw new JsonException("A feature list may hold only strings and numbers."),
                    });
                    if (list.Count > MaxListLength)
                    {
                        throw new JsonException($"A feature list may hold at most {MaxListLength} values.");
                    }
                }

                return FeatureValue.Of(list);
            default:
                throw new JsonException("A feature value must be a string, a number, or a list of strings.");
        }
    }

    private static double FiniteNumber(ref Utf8JsonReader reader)
    {
        var number = reader.GetDouble();
        return double.IsFinite(number) ? number : throw new JsonException("A feature number must be finite.");
    }

    public override void Write(Utf8JsonWriter writer, FeatureValue value, JsonSerializerOptions options)
    {
        switch (value.Kind)
        {
            case FeatureValueKind.Number:
                writer.WriteNumberValue(value.Number);
                break;
            case FeatureValueKind.Text:
                writer.WriteStringValue(value.Text);
                break;
            default:
                writer.WriteStartArray();
                foreach (var item in value.List!)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
        }
    }
}
