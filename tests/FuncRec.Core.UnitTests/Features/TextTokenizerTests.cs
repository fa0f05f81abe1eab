using FuncRec.Core.Features;

namespace FuncRec.Core.UnitTests.Features;

public sealed class TextTokenizerTests
{
    [Fact]
    public void Tokens_are_lower_case_letter_and_digit_runs_of_at_least_two_characters()
    {
        Assert.Equal(["hello", "world", "b2", "école", "42"], TextTokenizer.Tokens("Hello, World! A b2 x ÉCOLE-42"));
    }

    [Fact]
    public void Tokens_are_truncated_to_the_maximum_length()
    {
        var token = Assert.Single(TextTokenizer.Tokens(new string('Q', 100)));

        Assert.Equal(new string('q', TextTokenizer.MaxTokenLength), token);
    }

    [Fact]
    public void Tokens_of_text_without_words_are_empty()
    {
        Assert.Empty(TextTokenizer.Tokens(string.Empty));
        Assert.Empty(TextTokenizer.Tokens(" a - b ! "));
    }
}
