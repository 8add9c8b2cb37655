using System.Text;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;

namespace OsvPS.Core.Packaging
{
    /// <summary>Reads and writes <c>meta/package.yaml</c>.</summary>
    public static class PackageYaml
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
            return new PackageManifest(name!, title, author,
                doc.Scalar(root, "version"),
                doc.List(root, "require"),
                doc.Scalar(root, "created"),
                doc.Scalar(root, "platform"));
        }

        public static string Serialize(PackageManifest package)
        {
            var sb = new StringBuilder();
            Line(sb, "name", package.Name);
            Line(sb, "title", package.Title);
            Line(sb, "author", package.Author);
            Line(sb, "version", package.Version);
            if (package.Require.Count > 0)
            {
                sb.Append("require:\n");
                foreach (string r in package.Require)
                {
                    sb.Append("  - ").Append(YamlText.Quote(r)).Append('\n');
                }
            }
            Line(sb, "created", package.Created);
            Line(sb, "platform", package.Platform);
            return sb.ToString();
        }

        private static void Line(StringBuilder sb, string key, string? value)
        {
            if (value != null)
            {
                sb.Append(key).Append(": ").Append(YamlText.Quote(value)).Append('\n');
            }
        }
    }
}
