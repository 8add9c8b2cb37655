using System;
using System.Management.Automation;
using OsvPS.Core.Errors;
using OsvPS.Core.Instances.Readiness;

namespace OsvPS
{
    /// <summary>
    /// Reads a readiness probe as it is written (<c>tcp:8080</c>, <c>http://127.0.0.1:8080/health</c>,
    /// <c>console:^listening</c>) while the parameters are bound: a bad probe stops the call before anything starts,
    /// with the parser's message (its error, ReadinessProbeInvalid, is the inner exception).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ReadinessProbeTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value == null || value is ReadinessProbe)
            {
                return value;
            }
            try
            {
                return ReadinessProbe.Parse(value as string ?? LanguagePrimitives.ConvertTo<string>(value));
            }
            catch (OsvException e)
            {
                throw new ArgumentTransformationMetadataException(e.Message, e);
            }
        }
    }
}
