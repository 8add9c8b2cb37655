using System.IO;
using OsvPS.Core.Errors;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;
using Xunit;
using OsvPS.Core.Building;

namespace OsvPS.Core.Tests.Packaging
{
    /// <summary>Package names as Capstan takes them: any one file name, kept safe as a path.</summary>
    public class PackageNameTests
    {
        [Fact]
        public void ReadsCapstansOwnTestPackageYaml()
        {
            // The shape of Capstan's package tests: a name with a space, a version from git describe, and a 'binary' map.
            var package = PackageYaml.Parse(
                "name: Capstan tester\ntitle: MPM Test package\nauthor: MIKE\nversion: 0.23-24-gc60331d\n" +
                "require:\n - httpserver\n - open mpi\nbinary:\n app: /usr/bin/app.so\n /usr/bin/app: /usr/local/bin/app.so\n", "package.yaml");
            Assert.Equal("Capstan tester", package.Name);
            Assert.Equal("0.23-24-gc60331d", package.Version);
            Assert.Equal(new[] { "httpserver", "open mpi" }, package.Require);
        }

        [Theory]
        [InlineData("Capstan tester")]
        [InlineData("osv.bootstrap")]
        [InlineData("gcc+runtime-1.2_3")]
        [InlineData("caf\u00e9 \u00e0 la carte")]
        [InlineData("...")]
        [InlineData(" leading and trailing ")]
        public void AnySingleFileNameIsAPackageName(string name)
        {
            CapstanRepository.ValidatePackageName(name);
            var repository = new CapstanRepository(Path.Combine(Path.GetTempPath(), "osvps-names"));
            string file = repository.PackageFile(name, ".mpm");
            Assert.Equal(repository.PackagesPath, Path.GetDirectoryName(file));
            Assert.Equal(name + ".mpm", Path.GetFileName(file));
        }

        [Theory]
        [InlineData("")]
        [InlineData(".")]
        [InlineData("..")]
        [InlineData("a/b")]
        [InlineData("../x")]
        [InlineData("a\\b")]
        [InlineData("a\0b")]
        [InlineData("a\nb")]
        [InlineData("tab\there")]
        [InlineData("bell\u0007")]
        public void NamesThatAreNotOneSafeFileNameAreRefused(string name)
        {
            var e = Assert.Throws<OsvException>(() => CapstanRepository.ValidatePackageName(name));
            Assert.Equal("PackageNameInvalid", e.ErrorId);
        }

        [Fact]
        public void LongNamesAreRefused()
        {
            CapstanRepository.ValidatePackageName(new string('x', 200));
            Assert.Throws<OsvException>(() => CapstanRepository.ValidatePackageName(new string('x', 201)));
        }

        [Theory]
        [InlineData("Capstan tester", "Capstan-tester")]
        [InlineData("demo", "demo")]
        [InlineData("gcc+runtime 1.2", "gcc-runtime-1.2")]
        public void AnImageIsNamedAfterThePackageWithWhatImageNamesCannotHoldAsDashes(string package, string image)
            => Assert.Equal(image, ImageBuilder.DefaultImageName(package));
    }
}
