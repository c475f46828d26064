import { useRef, useState } from 'react';
import { useGenerateStore } from '../../stores/generate-store';
import { Icon } from '../Icon';
import { ACCEPT, carriesFiles, carriesGalleryImage, draggedFile, draggedGalleryImage, readImageFile } from './image-files';
import { SliderField } from './NumberField';

/** img2img: the image to start from, picked or dropped here, with how far the result may move from it. */
export function InitImageField() {
  const initImage = useGenerateStore((state) => state.initImage);
  const setInitImage = useGenerateStore((state) => state.setInitImage);
  const setStrength = useGenerateStore((state) => state.setStrength);
  const clearInitImage = useGenerateStore((state) => state.clearInitImage);
  const setNotice = useGenerateStore((state) => state.setNotice);
  const startFromGalleryImage = useGenerateStore((state) => state.startFromGalleryImage);
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const use = async (file: File | null | undefined) => {
    if (!file) return;
    try {
      const image = await readImageFile(file);
      setInitImage(image);
      setNotice(null);
    } catch (error) {
      setNotice({ tone: 'warning', text: (error as Error).message });
    }
  };

  return (
    <fieldset
      className={dragging ? 'field init-image dragging' : 'field init-image'}
      onDragOver={(event) => {
        if (!carriesFiles(event.dataTransfer) && !carriesGalleryImage(event.dataTransfer)) return;
        event.preventDefault();
        event.stopPropagation();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        event.stopPropagation();
        setDragging(false);
        const galleryImage = draggedGalleryImage(event.dataTransfer);
        if (galleryImage) void startFromGalleryImage(galleryImage.id, galleryImage.prompt);
        else void use(draggedFile(event.dataTransfer));
      }}
    >
      <legend>Start from an image (img2img)</legend>
      <input
        ref={input}
        type="file"
        accept={ACCEPT}
        hidden
        aria-label="Image to start from"
        onChange={(event) => {
          void use(event.target.files?.[0]);
          event.target.value = '';
        }}
      />
      {initImage ? (
        <>
          <div className="init-preview">
            <img src={initImage.url} alt="The image to start from" />
            <span className="init-name" title={initImage.name}>
              {initImage.name}
            </span>
            <button type="button" className="icon-button" aria-label="Remove the starting image" title="Remove" onClick={clearInitImage}>
              <Icon name="close" size={16} />
            </button>
          </div>
          <SliderField
            label="Strength"
            value={initImage.strength}
            min={0.01}
            max={1}
            step={0.01}
            hint="Low keeps close to the image; 1 ignores it."
            onChange={setStrength}
          />
        </>
      ) : (
        <button type="button" className="drop-target" onClick={() => input.current?.click()}>
          <Icon name="upload" size={18} />
          <span>Pick or drop a PNG or JPEG</span>
        </button>
      )}
    </fieldset>
  );
}
