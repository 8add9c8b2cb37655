using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Yaml;

namespace OsvPS.Core.Packaging
{
    /// <summary>Reads and writes <c>meta/package.yaml</c>.</summary>
    internal static class PackageYaml
    {
        public static PackageManifest Parse(string text, string source)
        {
            var doc = YamlDocument.Parse(text, source, ErrorIds.PackageYamlInvalid);
            var root = doc.Root;
            string? name = doc.Scalar(root, "name");
            string? title = doc.Scalar(root, "title");
            string? author = doc.Scalar(root, "author");
            foreach (var (key, value) in new[] { ("name", name), ("title", title), ("author", author) })
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new OsvException(ErrorIds.PackageYamlInvalid, OsvErrorKind.InvalidData,
                        $"{source}: '{key}' is required in package.yaml.", source);
                }
            }
            var require = doc.List(root, "require");
            try
            {
                // Names become file names in packages/: a hostile package.yaml must not reach outside.
                PackageNames.Validate(name!, source + ": name");
                foreach (string required in require)
                {
                    PackageNames.Validate(required, source + ": require");
                }
            }
            catch (OsvException e)
            {
                throw new OsvException(ErrorIds.PackageYamlInvalid, OsvErrorKind.InvalidData, e.Message, source, e);
            }
            return new PackageManifest(name!, title, author,
                doc.Scalar(root, "version"),
                require,
                doc.Scalar(root, "created"),
                doc.Scalar(root, "platform"));
        }

        public static string Serialize(PackageManifest package) => new YamlWriter()
            .Value("name", package.Name)
            .Value("title", package.Title)
            .Value("author", package.Author)
            .Value("version", package.Version)
            .List("require", package.Require)
            .Value("created", package.Created)
            .Value("platform", package.Platform)
            .ToString();
    }
}
