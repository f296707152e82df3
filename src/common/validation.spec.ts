import { IsIn, IsInt, IsString } from 'class-validator';
import { Optional } from './dto-decorators';
import { ValidationFailedError } from './domain-error';
import { createValidationPipe, NonEmptyBody } from './validation';

@NonEmptyBody('body must set choice or note')
class ExampleDto {
  @Optional()
  @IsIn(['a', 'b'], { message: 'choice must be a or b' })
  choice: string = 'a';

  @Optional()
  @IsString({ message: 'note must be a string' })
  note?: string;
}

class ExampleQueryDto {
  @Optional()
  @IsInt({ message: 'limit must be an integer' })
  limit?: number;

  @IsInt({ message: 'page must be an integer' })
  page = 1;
}

class RequiredFieldDto {
  @IsString({ message: 'name must be a string' })
  name: string;
}

describe('the validation pipe', () => {
  const pipe = createValidationPipe();
  const body = (value: unknown) => pipe.transform(value, { type: 'body', metatype: ExampleDto });

  it('sets no field sent as null (Optional): the default holds, and the field is not there at all', async () => {
    const dto = (await body({ choice: null, note: null })) as ExampleDto;
    expect(dto).toBeInstanceOf(ExampleDto);
    expect(dto.choice).toBe('a');
    expect(Object.keys(dto)).toEqual(['choice']);
  });

  it('checks a field sent with a value as usual', async () => {
    await expect(body({ choice: 'c' })).rejects.toThrow(ValidationFailedError);
    expect(await body({ choice: 'b', note: 'n' })).toEqual(Object.assign(new ExampleDto(), { choice: 'b', note: 'n' }));
  });

  it('refuses a body that names no field (NonEmptyBody), but not one whose fields are null', async () => {
    await expect(body({})).rejects.toMatchObject({ errors: [{ field: 'body', message: 'body must set choice or note' }] });
    await expect(body({ note: null })).resolves.toBeInstanceOf(ExampleDto);
  });

  describe('when there is nothing to validate', () => {
    const validations = () => jest.spyOn(pipe as unknown as { validate: (...args: unknown[]) => unknown }, 'validate');
    afterEach(() => jest.restoreAllMocks());

    it('validates an empty query once per DTO, then only makes a fresh instance of it', async () => {
      const validate = validations();
      const query = () => pipe.transform({}, { type: 'query', metatype: ExampleQueryDto });
      const first = await query();
      const second = await query();
      expect(validate).toHaveBeenCalledTimes(1);
      expect(second).toEqual(first);
      expect(second).toBeInstanceOf(ExampleQueryDto);
      expect(second).not.toBe(first);
      await expect(pipe.transform({ limit: 'ten' }, { type: 'query', metatype: ExampleQueryDto })).rejects.toThrow(ValidationFailedError);
    });

    it('still refuses every empty body of a DTO that needs a field', async () => {
      const required = () => pipe.transform({}, { type: 'body', metatype: RequiredFieldDto });
      await expect(required()).rejects.toMatchObject({ errors: [{ field: 'name', message: 'name must be a string' }] });
      await expect(required()).rejects.toMatchObject({ errors: [{ field: 'name', message: 'name must be a string' }] });
    });

    it('passes a path parameter and a custom parameter on as they came, without validation', async () => {
      const validate = validations();
      const principal = { tenantId: 't' };
      expect(await pipe.transform('3F2504E0-4F89-11D3-9A0C-0305E82C3301', { type: 'param', metatype: String, data: 'id' })).toBe(
        '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
      );
      expect(await pipe.transform(principal, { type: 'custom', metatype: Object })).toBe(principal);
      expect(validate).not.toHaveBeenCalled();
    });
  });
});
