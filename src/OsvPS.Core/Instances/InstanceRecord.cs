using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using OsvPS.Core.IO;

namespace OsvPS.Core.Instances
{
    /// <summary>The small state file of an instance (<c>instance.state</c>): one <c>key=value</c> a line.</summary>
    internal sealed class InstanceRecord
    {
        public const string FileName = "instance.state";
        private readonly Dictionary<string, string> values = new Dictionary<string, string>(StringComparer.Ordinal);

        public string? this[string key]
        {
            get => values.TryGetValue(key, out var v) ? v : null;
            set
            {
                if (value == null)
                {
                    values.Remove(key);
                }
                else
                {
                    values[key] = value.Replace("\n", " ").Replace("\r", " ");
                }
            }
        }

        public int? Int(string key) => int.TryParse(this[key], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : (int?)null;

        public DateTime? Time(string key) => DateTime.TryParse(this[key], CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? t : (DateTime?)null;

        public void SetTime(string key, DateTime value) => this[key] = value.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

        public static InstanceRecord Load(string folder)
        {
            var record = new InstanceRecord();
            string path = Path.Combine(folder, FileName);
            if (File.Exists(path))
            {
                foreach (string line in File.ReadAllLines(path))
                {
                    int eq = line.IndexOf('=');
                    if (eq > 0)
                    {
                        record.values[line.Substring(0, eq)] = line.Substring(eq + 1);
                    }
                }
            }
            return record;
        }

        public void Save(string folder)
        {
            var sb = new StringBuilder();
            foreach (var pair in values.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append(pair.Key).Append('=').Append(pair.Value).Append('\n');
            }
            AtomicFile.WriteAllText(Path.Combine(folder, FileName), sb.ToString());
        }
    }
}
