import { WrappedBody } from '../../common/validation';
import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsInt, IsUUID, ValidatorConstraint, Validate, type ValidationArguments, type ValidatorConstraintInterface } from 'class-validator';
import { Optional } from '../../common/dto-decorators';
import { algorithmSpec, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../crypto/algorithms';
import { KEY_CUSTODIES, type KeyCustodyKind } from '../entities/tenant-key.entity';
import { IsSigningAlgorithm, isSigningAlgorithm, lengthMessage } from './algorithm-choice';
import { CertificateOptionsDto } from './certificate-options.dto';
import { NewKeyDto } from './new-key.dto';

@ValidatorConstraint({ name: 'lengthFitsAlgorithm' })
class LengthFitsAlgorithm implements ValidatorConstraintInterface {
  validate(length: unknown, args: ValidationArguments): boolean {
    const { algorithm } = args.object as GenerateKeyDto;
    // An invalid algorithm has its own error; the length cannot be judged without one.
    return !isSigningAlgorithm(algorithm) || algorithmSpec(algorithm).lengths.includes(length as number);
  }

  defaultMessage(args: ValidationArguments): string {
    const { algorithm } = args.object as GenerateKeyDto;
    return lengthMessage('length', algorithm);
  }
}

@WrappedBody('key')
export class GenerateKeyDto extends IntersectionType(NewKeyDto, CertificateOptionsDto) {
  @ApiProperty({
    enum: SIGNING_ALGORITHMS,
    example: 'ES256',
    description: 'Also the short forms `RS` (RS256) and `ES` (ES256); ML-DSA needs Node.js 24.7 or later',
  })
  @IsSigningAlgorithm('algorithm')
  algorithm: SigningAlgorithm;

  @ApiPropertyOptional({
    description:
      'RSA modulus bits (2048, 3072, 4096; default 2048) or HMAC key bits; fixed by the curve for EC, by the parameter set for ML-DSA (44, 65, 87)',
    example: 2048,
  })
  @Optional()
  @IsInt({ message: 'length must be an integer' })
  @Validate(LengthFitsAlgorithm)
  length?: number;

  @ApiPropertyOptional({
    enum: KEY_CUSTODIES,
    default: 'software',
    description: 'hsm: the key pair is made and kept in the PKCS#11 token, never extractable (RS*, PS*, ES*, EdDSA where the token has it)',
  })
  @Optional()
  @IsIn(KEY_CUSTODIES, { message: `custody must be one of ${KEY_CUSTODIES.join(', ')}` })
  custody?: KeyCustodyKind;

  @ApiPropertyOptional({ format: 'uuid', description: 'The id to give the key (the same as the path id of `/key/generate/{id}`)' })
  @Optional()
  @IsUUID('all', { message: 'uuid must be a UUID' })
  uuid?: string;
}
