using System;
using System.IO;
using System.Security.Cryptography;

namespace OsvPS.Core.IO
{
    /// <summary>Content hashes of files.</summary>
    internal static class FileHash
    {
        /// <summary>The file's SHA-256, as lowercase hex.</summary>
        public static string Sha256(string path)
        {
            using (var sha = SHA256.Create())
            using (var stream = File.OpenRead(path))
            {
                return BitConverter.ToString(sha.ComputeHash(stream)).Replace("-", "").ToLowerInvariant();
            }
        }
    }
}
