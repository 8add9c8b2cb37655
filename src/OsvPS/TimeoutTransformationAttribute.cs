using System;
using System.Globalization;
using System.Management.Automation;

namespace OsvPS
{
    /// <summary>
    /// Reads a timeout as PowerShell users write one: a plain number is seconds (as with Wait-Job
    /// -Timeout 120), and a TimeSpan or a TimeSpan text ('00:02:00') is taken as it is.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class TimeoutTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            TimeSpan? result;
            switch (value)
            {
                case null:
                    return null;
                case TimeSpan span:
                    result = span;
                    break;
                case string text:
                    result = Parse(text.Trim());
                    break;
                case IConvertible number when IsNumber(number):
                    result = Seconds(Convert.ToDouble(number, CultureInfo.InvariantCulture));
                    break;
                default:
                    result = null;
                    break;
            }
            if (result == null || result.Value < TimeSpan.Zero)
            {
                throw new ArgumentTransformationMetadataException(
                    $"'{inputData}' is not a timeout: give seconds (120), or a time span ('00:02:00' or [TimeSpan]).");
            }
            return result.Value;
        }

        private static bool IsNumber(IConvertible value)
        {
            switch (value.GetTypeCode())
            {
                case TypeCode.Byte: case TypeCode.SByte: case TypeCode.Int16: case TypeCode.UInt16:
                case TypeCode.Int32: case TypeCode.UInt32: case TypeCode.Int64: case TypeCode.UInt64:
                case TypeCode.Single: case TypeCode.Double: case TypeCode.Decimal:
                    return true;
                default:
                    return false;
            }
        }

        private static TimeSpan? Parse(string text)
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            {
                return Seconds(seconds);
            }
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : (TimeSpan?)null;
        }

        private static TimeSpan? Seconds(double seconds)
            => double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds ? (TimeSpan?)null : TimeSpan.FromSeconds(seconds);
    }
}
