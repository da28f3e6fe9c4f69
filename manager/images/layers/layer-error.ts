// The one error the layer store raises: names the layer (its blob digest, or its diffID when
// there is no blob) and what is wrong with it, on one line.
import { ManagerError } from '../../errors';

export class LayerError extends ManagerError {
  constructor(
    readonly layer: string,
    detail: string,
  ) {
    super(`layer ${layer}: ${detail}`);
    this.name = 'LayerError';
  }
}
