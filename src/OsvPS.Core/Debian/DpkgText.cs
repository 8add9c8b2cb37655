using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using OsvPS.Core.Errors;

namespace OsvPS.Core.Debian
{
    /// <summary>
    /// Reads the text files of dpkg's database line by line within bounds: a file larger than its limit,
    /// or a line longer than its limit, is <see cref="ErrorIds.DpkgDatabaseInvalid"/>, never a hang or an
    /// unbounded allocation. Bytes that are not UTF-8 become U+FFFD (a path holding them then names no file).
    /// </summary>
    internal static class DpkgText
    {
        public static IEnumerable<string> ReadLines(string path, long maxBytes, int maxLine)
        {
            FileStream stream;
            try
            {
                // Never blocks: a FIFO in a root where dpkg keeps a file is refused at once.
                stream = IO.UnixFile.OpenRegular(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OsvException(ErrorIds.FileReadFailed, OsvErrorKind.ReadError, $"cannot read '{path}': {e.Message}", path, e);
            }
            using (stream)
            {
                if (stream.Length > maxBytes)
                {
                    throw Invalid(path, 0, $"it is {stream.Length} bytes; OsvPS reads at most {maxBytes}");
                }
                using (var reader = new StreamReader(stream, new UTF8Encoding(false, false), false, 1 << 16))
                {
                    var line = new StringBuilder();
                    int number = 0;
                    var buffer = new char[1 << 14];
                    int read;
                    while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        for (int i = 0; i < read; i++)
                        {
                            char c = buffer[i];
                            if (c == '\n')
                            {
                                number++;
                                yield return line.ToString();
                                line.Clear();
                                continue;
                            }
                            if (c == '\0')
                            {
                                throw Invalid(path, number + 1, "it holds a NUL byte");
                            }
                            if (line.Length >= maxLine)
                            {
                                throw Invalid(path, number + 1, $"the line is longer than {maxLine} characters");
                            }
                            line.Append(c);
                        }
                    }
                    if (line.Length > 0)
                    {
                        yield return line.ToString();
                    }
                }
            }
        }

        public static OsvException Invalid(string path, int line, string why)
            => new OsvException(ErrorIds.DpkgDatabaseInvalid, OsvErrorKind.InvalidData,
                $"'{path}'{(line > 0 ? $" line {line}" : "")} is not a dpkg database file OsvPS can read: {why}.", path);
    }
}
