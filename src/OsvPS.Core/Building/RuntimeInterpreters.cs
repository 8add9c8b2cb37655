using System.Linq;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Rofs;

namespace OsvPS.Core.Building
{
    /// <summary>
    /// Finds in an image's tree the interpreter a java, node or python config set starts, and makes its boot command.
    /// The interpreter comes from the host's Debian package, carried into the project with Add-OsvDebianPackage (and
    /// Linux's dynamic linker with it for java and node); when it is not there, the build says which command brings it.
    /// </summary>
    internal static class RuntimeInterpreters
    {
        /// <summary>The boot command of runtime set <paramref name="set"/> of <paramref name="package"/>, for the image of the project at <paramref name="projectPath"/>.</summary>
        public static string BootCommand(ImageTree tree, string projectPath, string package, ConfigSet set)
        {
            var kind = Runtimes.Find(set.Launch!.Runtime)!;
            return Runtimes.BootCommand(set.Launch, Locate(tree, kind, projectPath, $"config set '{set.Name}' of {package}"));
        }

        /// <summary>The guest path of <paramref name="kind"/>'s interpreter in <paramref name="tree"/>; an error naming the command that carries it when it is missing.</summary>
        public static string Locate(ImageTree tree, RuntimeKind kind, string projectPath, string owner)
        {
            string carry = kind.CarryCommand(OsvCommandGrammar.Word(projectPath));
            string? found;
            if (kind == Runtimes.Java)
            {
                // Each JVM is a folder of /usr/lib/jvm (Debian's links to them, java-1.17.0-openjdk-amd64, are not counted twice).
                var jvms = tree.Find(Runtimes.JvmFolder) is TreeDirectory folder
                    ? folder.Children.Where(c => c.Value is TreeDirectory && BootPrograms.Find(tree, $"{Runtimes.JvmFolder}/{c.Key}/bin/java") != null)
                        .Select(c => $"{Runtimes.JvmFolder}/{c.Key}/bin/java").ToList()
                    : new System.Collections.Generic.List<string>();
                if (jvms.Count > 1)
                {
                    throw new OsvException(ErrorIds.RuntimeInterpreterAmbiguous, OsvErrorKind.InvalidData,
                        $"{owner} runs on Java, and the image holds {jvms.Count} JVMs ({string.Join(", ", jvms)}): keep one in the project.", jvms[0]);
                }
                found = jvms.FirstOrDefault();
            }
            else
            {
                found = BootPrograms.Find(tree, kind.Interpreter) == null ? null : kind.Interpreter;
            }
            if (found == null)
            {
                throw new OsvException(ErrorIds.RuntimeInterpreterMissing, OsvErrorKind.ObjectNotFound,
                    $"{owner} runs on the {kind.Name} runtime, whose interpreter ({kind.Interpreter}) is not in the image; carry it from the host's Debian package: {carry}", kind.DebianPackage);
            }
            if (kind.LinuxLinker && BootPrograms.Find(tree, Runtimes.LinuxLinkerPath) == null)
            {
                throw new OsvException(ErrorIds.RuntimeInterpreterMissing, OsvErrorKind.ObjectNotFound,
                    $"{owner} runs {found} on Linux's dynamic linker ({Runtimes.LinuxLinkerPath}), which is not in the image; carry the interpreter with it: {carry}", kind.DebianPackage);
            }
            return found;
        }
    }
}
