using OsvPS.Core.Packaging;
using Xunit;

namespace OsvPS.Core.Tests.Packaging
{
    public class IgnoreRulesTests
    {
        // What the project walker (ProjectTree) does with the rules: a path is left out when it or a folder above it
        // matches, as the walker never enters a matching folder.
        private static bool Ignored(IgnoreRules rules, string guestPath)
        {
            for (string path = guestPath; path.Length > 1; path = path.Substring(0, path.LastIndexOf('/')))
            {
                if (rules.Matches(path))
                {
                    return true;
                }
            }
            return false;
        }

        [Theory]
        [InlineData("/meta", true)]
        [InlineData("/meta/run.yaml", true)]
        [InlineData("/mpm-pkg/x", true)]
        [InlineData("/.git/config", true)]
        [InlineData("/.capstanignore", true)]
        [InlineData("/.gitignore", true)]
        [InlineData("/volumes/disk.img", true)]
        [InlineData("/metadata", false)]
        [InlineData("/src/meta", false)]
        public void FixedRules(string path, bool ignored) => Assert.Equal(ignored, Ignored(new IgnoreRules(new string[0]), path));

        [Theory]
        [InlineData("/build.log", "/build.log", true)]
        [InlineData("/build.log", "/sub/build.log", false)]          // anchored at the root
        [InlineData("/*.o", "/main.o", true)]
        [InlineData("/*.o", "/src/main.o", false)]                   // * stays in one segment
        [InlineData("/src/*.c", "/src/a.c", true)]
        [InlineData("/src/*.c", "/src/sub/a.c", false)]
        [InlineData("/**/*.o", "/a.o", true)]                        // /**/ matches zero folders
        [InlineData("/**/*.o", "/a/b/c/d.o", true)]
        [InlineData("/src/**/test", "/src/test", true)]
        [InlineData("/src/**/test", "/src/x/y/test/file", true)]     // a matched folder drops its contents
        [InlineData("/docs/*", "/docs/a/b/c.md", true)]              // trailing /* drops everything beneath
        [InlineData("/docs/*", "/docs", false)]
        [InlineData("/docs", "/docs/readme", true)]
        [InlineData("/docs/", "/docs/readme", true)]
        [InlineData("tmp", "/tmp/x", true)]                          // written without the leading /
        [InlineData("/a?c", "/abc", true)]
        [InlineData("/a.c", "/abc", false)]                          // . is literal
        public void Patterns(string pattern, string path, bool ignored)
            => Assert.Equal(ignored, Ignored(new IgnoreRules(new[] { pattern }), path));

        [Fact]
        public void CommentsAndBlankLinesAreSkipped()
        {
            var rules = new IgnoreRules(new[] { "# /keep", "", "   ", "/drop" });
            Assert.False(Ignored(rules, "/keep"));
            Assert.False(Ignored(rules, "/# "));
            Assert.True(Ignored(rules, "/drop"));
        }
    }
}
