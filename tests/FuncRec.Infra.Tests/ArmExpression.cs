using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace FuncRec.Infra.Tests;

/// <summary>A parsed ARM template expression: the text between the outer brackets of "[...]".</summary>
public abstract record ArmExpression
{
    /// <summary>True when a JSON string value is an expression rather than a literal ("[[" escapes a literal).</summary>
    public static bool IsExpression(string value) =>
        value.Length >= 2 && value[0] == '[' && value[^1] == ']' && value[1] != '[';

    /// <summary>Parses "[expr]"; a literal string becomes a <see cref="Literal"/>.</summary>
    public static ArmExpression Parse(string value)
    {
        if (!IsExpression(value))
        {
            return new Literal(value.StartsWith("[[", StringComparison.Ordinal) ? JsonValue.Create(value[1..]) : JsonValue.Create(value));
        }

        var parser = new Parser(value[1..^1]);
        var expression = parser.ParseExpression();
        parser.ExpectEnd();
        return expression;
    }

    /// <summary>The expression in ARM syntax (without the outer brackets), canonical for comparisons.</summary>
    public abstract string Text { get; }

    public sealed override string ToString() => Text;

    public sealed record Literal(JsonNode? Value) : ArmExpression
    {
        public override string Text => Value switch
        {
            null => "null()",
            JsonValue v when v.TryGetValue<string>(out var s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
            _ => Value.ToJsonString(),
        };

        public string? AsString => Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    public sealed record Call(string Name, IReadOnlyList<ArmExpression> Arguments) : ArmExpression
    {
        public override string Text => $"{Name}({string.Join(", ", Arguments.Select(a => a.Text))})";

        public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
    }

    public sealed record Member(ArmExpression Target, string Name) : ArmExpression
    {
        public override string Text => $"{Target.Text}.{Name}";
    }

    public sealed record Index(ArmExpression Target, ArmExpression Key) : ArmExpression
    {
        public override string Text => $"{Target.Text}[{Key.Text}]";
    }

    private sealed class Parser(string text)
    {
        private int _position;

        public ArmExpression ParseExpression()
        {
            SkipWhitespace();
            ArmExpression expression;
            var c = Peek();
            if (c == '\'')
            {
                expression = new Literal(JsonValue.Create(ReadString()));
            }
            else if (char.IsDigit(c) || c == '-')
            {
                expression = new Literal(JsonValue.Create(ReadInteger()));
            }
            else
            {
                var name = ReadIdentifier();
                SkipWhitespace();
                Expect('(');
                var arguments = new List<ArmExpression>();
                SkipWhitespace();
                if (Peek() != ')')
                {
                    while (true)
                    {
                        arguments.Add(ParseExpression());
                        SkipWhitespace();
                        if (Peek() == ',')
                        {
                            _position++;
                            continue;
                        }

                        break;
                    }
                }

                Expect(')');
                expression = new Call(name, arguments);
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() == '.')
                {
                    _position++;
                    expression = new Member(expression, ReadIdentifier());
                }
                else if (Peek() == '[')
                {
                    _position++;
                    var key = ParseExpression();
                    SkipWhitespace();
                    Expect(']');
                    expression = new Index(expression, key);
                }
                else
                {
                    return expression;
                }
            }
        }

        public void ExpectEnd()
        {
            SkipWhitespace();
            if (_position != text.Length)
            {
                throw new FormatException($"Unexpected '{text[_position..]}' in expression [{text}].");
            }
        }

        private char Peek() => _position < text.Length ? text[_position] : '\0';

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw new FormatException($"Expected '{c}' at {_position} in expression [{text}].");
            }

            _position++;
        }

        private void SkipWhitespace()
        {
            while (char.IsWhiteSpace(Peek()))
            {
                _position++;
            }
        }

        private string ReadString()
        {
            Expect('\'');
            var builder = new StringBuilder();
            while (true)
            {
                if (_position >= text.Length)
                {
                    throw new FormatException($"Unterminated string in expression [{text}].");
                }

                var c = text[_position++];
                if (c != '\'')
                {
                    builder.Append(c);
                }
                else if (Peek() == '\'')
                {
                    builder.Append('\'');
                    _position++;
                }
                else
                {
                    return builder.ToString();
                }
            }
        }

        private long ReadInteger()
        {
            var start = _position;
            if (Peek() == '-')
            {
                _position++;
            }

            while (char.IsDigit(Peek()))
            {
                _position++;
            }

            return long.Parse(text[start.._position], CultureInfo.InvariantCulture);
        }

        private string ReadIdentifier()
        {
            var start = _position;
            while (char.IsLetterOrDigit(Peek()) || Peek() is '_' or '$')
            {
                _position++;
            }

            if (start == _position)
            {
                throw new FormatException($"Expected a name at {_position} in expression [{text}].");
            }

            return text[start.._position];
        }
    }
}
