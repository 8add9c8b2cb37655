using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace OsvPS
{
    /// <summary>
    /// Reads a memory size as PowerShell and Capstan users write one: PowerShell's byte counts (1GB, 512MB), Capstan's
    /// sizes ('1G', '512M', '2048K', with or without a trailing B, any case), and a bare number as Capstan takes it, in
    /// megabytes (512, '512'), up to 65536 (64 GiB); a larger number is bytes. Gives bytes.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class MemoryTransformationAttribute : ArgumentTransformationAttribute
    {
        // A bare number up to this is megabytes (64 GiB); above it, bytes (1GB is 1073741824). PowerShell's 512KB
        // (524288) is then bytes, under the 16 MiB floor: refused, never read as 512 GiB.
        private const double MaxMegabytes = 65536;

        private static readonly Regex Size = new Regex(@"^(?<number>\d+(?:\.\d+)?)\s*(?<unit>[KMGT]?)(?:i?B)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public override object Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            double? bytes = value switch
            {
                string text => Parse(text.Trim()),
                IConvertible number when !(value is string) && !(value is bool) && double.TryParse(Convert.ToString(number, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out double n)
                    => n <= MaxMegabytes ? n * 1024 * 1024 : n,
                _ => null,
            };
            if (bytes == null || double.IsNaN(bytes.Value) || bytes.Value <= 0 || bytes.Value > long.MaxValue)
            {
                throw new ArgumentTransformationMetadataException(
                    $"'{inputData}' is not a memory size: give 1GB or 512MB (bytes, as PowerShell writes them), '1G' or '512M', or a number of megabytes (512).");
            }
            return (long)bytes.Value;
        }

        private static double? Parse(string text)
        {
            var m = Size.Match(text);
            if (!m.Success || !double.TryParse(m.Groups["number"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
            {
                return null;
            }
            switch (m.Groups["unit"].Value.ToUpperInvariant())
            {
                case "K": return number * 1024;
                case "M": return number * 1024 * 1024;
                case "G": return number * 1024 * 1024 * 1024;
                case "T": return number * 1024 * 1024 * 1024 * 1024;
                default:
                    // No unit: megabytes, as Capstan's -m, unless it is clearly a byte count.
                    return number <= MaxMegabytes ? number * 1024 * 1024 : number;
            }
        }
    }
}
