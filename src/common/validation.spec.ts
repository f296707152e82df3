import { IsIn, IsString } from 'class-validator';
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
});
