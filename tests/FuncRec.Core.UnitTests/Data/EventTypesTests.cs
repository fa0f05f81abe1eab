using FuncRec.Core.Data;

namespace FuncRec.Core.UnitTests.Data;

public sealed class EventTypesTests
{
    [Theory]
    [InlineData("view", 1f)]
    [InlineData("click", 1.5f)]
    [InlineData("like", 2f)]
    [InlineData("share", 2f)]
    [InlineData("add_to_cart", 3f)]
    [InlineData("purchase", 4f)]
    public void ImplicitWeight_without_value_is_the_type_default(string type, float weight)
    {
        Assert.Equal(weight, EventTypes.ImplicitWeight(type, null));
    }

    [Fact]
    public void ImplicitWeight_uses_a_positive_finite_client_value()
    {
        Assert.Equal(2.5f, EventTypes.ImplicitWeight("click", 2.5f));
        Assert.Equal(0.1f, EventTypes.ImplicitWeight("purchase", 0.1f));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ImplicitWeight_falls_back_to_the_default_for_a_non_positive_or_non_finite_value(float value)
    {
        Assert.Equal(1.5f, EventTypes.ImplicitWeight("click", value));
    }

    [Theory]
    [InlineData(5f, 1f)]
    [InlineData(4f, 1f)]
    [InlineData(3.99f, 0f)]
    [InlineData(1f, 0f)]
    public void ImplicitWeight_of_a_rating_is_one_at_or_above_the_positive_threshold_else_zero(float rating, float weight)
    {
        Assert.Equal(weight, EventTypes.ImplicitWeight(EventTypes.Rating, rating));
    }

    [Fact]
    public void ImplicitWeight_of_a_rating_honours_the_threshold_and_needs_a_value()
    {
        Assert.Equal(1f, EventTypes.ImplicitWeight("rating", 3f, positiveRating: 3f));
        Assert.Equal(0f, EventTypes.ImplicitWeight("rating", null));
    }

    [Fact]
    public void ImplicitWeight_of_an_unknown_type_without_value_is_zero()
    {
        Assert.Equal(0f, EventTypes.ImplicitWeight("teleport", null));
    }

    [Fact]
    public void IsKnown_accepts_exactly_the_listed_lower_case_types()
    {
        Assert.Equal(7, EventTypes.All.Count);
        Assert.All(EventTypes.All, type => Assert.True(EventTypes.IsKnown(type)));
        Assert.False(EventTypes.IsKnown("View"));
        Assert.False(EventTypes.IsKnown(null));
        Assert.False(EventTypes.IsKnown(""));
    }

    [Fact]
    public void Canonical_gives_the_one_instance_of_a_known_type_and_leaves_others_alone()
    {
        Assert.All(EventTypes.All, type => Assert.Same(type, EventTypes.Canonical(new string(type.AsSpan()))));
        var unknown = new string("teleport".AsSpan());
        Assert.Same(unknown, EventTypes.Canonical(unknown));
    }
}
