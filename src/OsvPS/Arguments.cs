using System.Collections;
using System.Collections.Generic;
using System;
using System.IO;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Models;
using OsvPS.Core.Packaging;
using OsvPS.Core.Repository;

namespace OsvPS
{
    /// <summary>
    /// A project as a cmdlet was given it (a folder path, a folder, or an OsvProject), made one type
    /// before the cmdlet runs by <see cref="ProjectTransformationAttribute"/>. Loading it is the cmdlet's
    /// per-item work, so a missing project is that item's ProjectNotFound, not a binding error.
    /// </summary>
    public sealed class ProjectArgument
    {
        public ProjectArgument(string path) => Path = path;

        /// <summary>The project folder, as a file-system path.</summary>
        public string Path { get; }

        public OsvProject Load() => ProjectStore.Load(Path);

        /// <summary>The folder, when it is a project; else ProjectNotFound.</summary>
        public string RequireProject() => ProjectStore.IsProject(Path) ? Path : throw new OsvException(ErrorIds.ProjectNotFound, OsvErrorKind.ObjectNotFound,
            $"'{Path}' is not a project (no meta/package.yaml or meta/run.yaml); create one with New-OsvProject or name one with -Project.", Path);

        public override string ToString() => Path;
    }

    /// <summary>Turns a path (resolved through the provider), a folder or an OsvProject into a <see cref="ProjectArgument"/>.</summary>
    public sealed class ProjectTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            switch (value)
            {
                case null:
                    return null;
                case ProjectArgument project:
                    return project;
                case OsvProject project:
                    return new ProjectArgument(project.Path);
                case FileSystemInfo folder:
                    return new ProjectArgument(folder.FullName);
                default:
                    // A path, or anything PowerShell reads as one (a one-element array, a PathInfo).
                    string path = LanguagePrimitives.ConvertTo<string>(value);
                    if (path.Length == 0)
                    {
                        throw new ArgumentTransformationMetadataException("a project is a folder path, a folder or an OsvProject, not an empty text.");
                    }
                    return new ProjectArgument(engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            }
        }
    }

    /// <summary>
    /// An image as a cmdlet was given it: an OsvImage, an image file, or a text that is an image name in
    /// the repository or else a path. <see cref="Resolve"/> finds it, as the cmdlet's per-item work.
    /// </summary>
    public sealed class ImageArgument
    {
        private readonly OsvImage? image;
        private readonly string? file;
        private readonly string? text;
        private readonly string? textAsPath;

        private ImageArgument(OsvImage? image, string? file, string? text, string? textAsPath)
        {
            this.image = image;
            this.file = file;
            this.text = text;
            this.textAsPath = textAsPath;
        }

        public static ImageArgument Of(OsvImage image) => new ImageArgument(image, null, null, null);
        public static ImageArgument OfFile(string path) => new ImageArgument(null, path, null, null);
        public static ImageArgument OfText(string text, string asPath) => new ImageArgument(null, null, text, asPath);

        /// <summary>The image file and the name the instance is known by.</summary>
        public (string Path, string Name) Resolve(CapstanRepository repository)
        {
            if (image != null)
            {
                return (image.Path, image.Name);
            }
            if (file != null)
            {
                return (file, System.IO.Path.GetFileNameWithoutExtension(file));
            }
            string? fromRepository = null;
            try
            {
                CapstanRepository.ValidateImageName(text!);
                fromRepository = repository.FindImageFile(text!);
            }
            catch (OsvException)
            {
                // Not a name an image can have: a path, then.
            }
            if (fromRepository != null)
            {
                return (fromRepository, text!);
            }
            if (File.Exists(textAsPath))
            {
                return (textAsPath!, System.IO.Path.GetFileNameWithoutExtension(textAsPath!));
            }
            throw new OsvException(ErrorIds.ImageNotFound, OsvErrorKind.ObjectNotFound,
                $"'{text}' is neither an image in {repository.ImagesPath} nor an image file.", text);
        }

        public override string ToString() => image?.Name ?? file ?? text ?? "";
    }

    /// <summary>Turns an OsvImage, a file, or a name or path into an <see cref="ImageArgument"/>.</summary>
    public sealed class ImageTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            switch (value)
            {
                case null:
                    return null;
                case ImageArgument image:
                    return image;
                case OsvImage image:
                    return ImageArgument.Of(image);
                case FileInfo file:
                    return ImageArgument.OfFile(file.FullName);
                default:
                    string text = LanguagePrimitives.ConvertTo<string>(value);
                    return ImageArgument.OfText(text, engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(text));
            }
        }
    }

    /// <summary>PowerShell values as the core takes them.</summary>
    internal static class Hashtables
    {
        /// <summary>A PowerShell hashtable as a string dictionary (env variables and the like).</summary>
        public static IReadOnlyDictionary<string, string>? ToStringDictionary(Hashtable? table)
        {
            if (table == null)
            {
                return null;
            }
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                result[LanguagePrimitives.ConvertTo<string>(entry.Key)] = entry.Value == null ? "" : LanguagePrimitives.ConvertTo<string>(entry.Value);
            }
            return result;
        }
    }
}
