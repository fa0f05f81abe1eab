using System.Text.Json;
using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class FeatureValueTests
{
    [Fact]
    public void Json_string_reads_as_text()
    {
        var value = JsonSerializer.Deserialize<FeatureValue>("\"Comedy\"");

        Assert.Equal(FeatureValueKind.Text, value.Kind);
        Assert.Equal("Comedy", value.Text);
    }

    [Fact]
    public void Json_number_reads_as_number()
    {
        var value = JsonSerializer.Deserialize<FeatureValue>("-3.25");

        Assert.Equal(FeatureValueKind.Number, value.Kind);
        Assert.Equal(-3.25, value.Number);
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("false", "false")]
    public void Json_bool_reads_as_text(string json, string text)
    {
        var value = JsonSerializer.Deserialize<FeatureValue>(json);

        Assert.Equal(FeatureValueKind.Text, value.Kind);
        Assert.Equal(text, value.Text);
    }

    [Fact]
    public void Json_list_of_strings_and_numbers_reads_as_a_list_of_texts()
    {
        var value = JsonSerializer.Deserialize<FeatureValue>("[\"a\", 2, 2.5, \"b\"]");

        Assert.Equal(FeatureValueKind.List, value.Kind);
        Assert.Equal(["a", "2", "2.5", "b"], value.List!);
        Assert.Equal(4, value.ValueCount);
        Assert.Equal("2.5", value.ValueAt(2));
    }

    [Fact]
    public void Json_fields_of_a_profile_read_through_the_converter()
    {
        var fields = JsonSerializer.Deserialize<Dictionary<string, FeatureValue>>("{\"genre\":[\"a\",\"b\"],\"age\":30,\"city\":\"Lyon\",\"empty\":[]}")!;

        Assert.Equal(["a", "b"], fields["genre"].List!);
        Assert.Equal(30, fields["age"].Number);
        Assert.Equal("Lyon", fields["city"].Text);
        Assert.Equal(0, fields["empty"].ValueCount);
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("[[\"a\"]]")]
    [InlineData("[{\"a\":1}]")]
    [InlineData("[true]")]
    [InlineData("[null]")]
    [InlineData("null")]
    public void Json_objects_nested_lists_and_other_tokens_are_rejected(string json)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FeatureValue>(json));
    }

    [Fact]
    public void Json_list_of_exactly_the_maximum_length_is_accepted()
    {
        var json = "[" + string.Join(',', Enumerable.Range(0, FeatureValueJsonConverter.MaxListLength)) + "]";

        var value = JsonSerializer.Deserialize<FeatureValue>(json);

        Assert.Equal(1000, value.ValueCount);
    }

    [Fact]
    public void Json_list_over_the_maximum_length_is_rejected()
    {
        var json = "[" + string.Join(',', Enumerable.Range(0, FeatureValueJsonConverter.MaxListLength + 1).Select(i => $"\"v{i}\"")) + "]";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<FeatureValue>(json));
    }

    [Fact]
    public void Json_write_round_trips_each_kind()
    {
        FeatureValue[] values = [FeatureValue.Of("x"), FeatureValue.Of(1.5), FeatureValue.Of(["a", "b"])];

        var json = JsonSerializer.Serialize(values);
        var back = JsonSerializer.Deserialize<FeatureValue[]>(json)!;

        Assert.Equal("[\"x\",1.5,[\"a\",\"b\"]]", json);
        Assert.Equal("x", back[0].Text);
        Assert.Equal(1.5, back[1].Number);
        Assert.Equal(["a", "b"], back[2].List!);
    }

    [Fact]
    public void TryGetNumber_accepts_finite_numbers_and_numeric_text_only()
    {
        Assert.True(FeatureValue.Of(42.0).TryGetNumber(out var number));
        Assert.Equal(42.0, number);
        Assert.True(FeatureValue.Of("1e3").TryGetNumber(out var parsed));
        Assert.Equal(1000.0, parsed);
        Assert.False(FeatureValue.Of("forty").TryGetNumber(out _));
        Assert.False(FeatureValue.Of(double.NaN).TryGetNumber(out _));
        Assert.False(FeatureValue.Of("Infinity").TryGetNumber(out _));
        Assert.False(FeatureValue.Of(["1"]).TryGetNumber(out _));
    }

    [Fact]
    public void ValueAt_writes_numbers_invariantly_and_single_values_count_once()
    {
        var number = FeatureValue.Of(0.5);

        Assert.Equal(1, number.ValueCount);
        Assert.Equal("0.5", number.ValueAt(0));
        Assert.Equal("0.5", number.ToString());
        Assert.Equal("[a, b]", FeatureValue.Of(["a", "b"]).ToString());
    }
}
