using OsvPS.Core.Errors;
using Xunit;

namespace OsvPS.Core.Tests.Errors
{
    /// <summary>What a message shows of text from outside: nothing that drives a terminal, everything else as it was.</summary>
    public sealed class TextSafetyTests
    {
        [Theory]
        [InlineData("plain text, ünïcödé and 日本語", "plain text, ünïcödé and 日本語")]
        [InlineData("two\nlines\tand a tab", "two\nlines\tand a tab")]
        [InlineData("red \u001b[31malert\u001b[0m", "red \\x1b[31malert\\x1b[0m")]
        [InlineData("over\rwritten", "over\\x0dwritten")]
        [InlineData("bell\u0007 del\u007f c1\u009b", "bell\\x07 del\\x7f c1\\x9b")]
        [InlineData("a\u2028b", "a\\u2028b")]
        [InlineData("pair \ud83d\ude00 kept", "pair \ud83d\ude00 kept")]
        [InlineData("", "")]
        public void ShowsControlsAndLoneSurrogatesEscaped(string text, string shown) => Assert.Equal(shown, TextSafety.Printable(text));

        // Built here, not passed as theory data: xunit's data serialisation replaces a lone surrogate.
        [Fact]
        public void ShowsLoneSurrogatesEscaped()
        {
            Assert.Equal("lone \\ud800 high", TextSafety.Printable("lone " + (char)0xD800 + " high"));
            Assert.Equal("lone \\udc00 low", TextSafety.Printable("lone " + (char)0xDC00 + " low"));
            Assert.Equal("end \\ud83d", TextSafety.Printable("end " + (char)0xD83D));
        }

        [Fact]
        public void EveryOsvExceptionMessageIsPrintable()
        {
            var e = new OsvException(ErrorIds.RegistryError, OsvErrorKind.InvalidResult, "the registry said: \u001b]0;pwned\u0007 \ud800", "target\u001b");
            Assert.Equal("the registry said: \\x1b]0;pwned\\x07 \\ud800", e.Message);
            Assert.Equal("target\u001b", e.Target);
        }
    }
}
