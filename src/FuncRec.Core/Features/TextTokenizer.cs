namespace FuncRec.Core.Features;

/// <summary>
/// The tokenisation of Text groups: lower-case runs of letters and digits, at least two characters long, each
/// truncated to 64 characters. <see cref="FeatureEncoder"/> applies the same rule inline without allocating.
/// </summary>
public static class TextTokenizer
{
    public const int MaxTokenLength = 64;

    public static IEnumerable<string> Tokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var token = new System.Text.StringBuilder();
        for (var i = 0; i <= text.Length; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            if (char.IsLetterOrDigit(c))
            {
                if (token.Length < MaxTokenLength)
                {
                    token.Append(char.ToLowerInvariant(c));
                }

                continue;
            }

            if (token.Length >= 2)
            {
                yield return token.ToString();
            }

            token.Clear();
        }
    }
}
